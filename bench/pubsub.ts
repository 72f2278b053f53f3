/**
 * Pub/sub throughput: messages per second delivered to one subscriber, respline against ioredis 6 and
 * node-redis 6, side by side in one run (never asserted).
 *
 *   npx ts-node --transpile-only bench/pubsub.ts [--repeats=N] [--window=MS]
 *
 * Two workloads, 100-byte messages on one channel:
 * - `library`: one publisher and one subscriber of the same library; the publisher keeps 128 PUBLISH
 *   in flight with plain async loops. What an application sees end to end.
 * - `raw-pub`: the same subscriber fed by a raw socket in a process of its own that writes ready-made
 *   batches of PUBLISH (up to 8 batches of 500 unanswered), so the subscriber's decoding and dispatch
 *   are what is measured, and its CPU per message is the subscriber's alone.
 *
 * Every cell runs in a fresh process (this file, forked with --cell); cells take turns, repeat by
 * repeat. One private redis-server on a free port, killed by pid on every way out.
 */
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import Redis from 'ioredis6';
import { createClient } from 'redis';
import { Client } from '../lib/client';
import { installCleanup, track } from './suite/processes';
import { startRedisServer } from './suite/redis-server';

type Subject = 'respline' | 'ioredis' | 'node-redis';
type Workload = 'library' | 'raw-pub';

const SUBJECTS: Subject[] = ['respline', 'ioredis', 'node-redis'];
const WORKLOADS: Workload[] = ['library', 'raw-pub'];
const CHANNEL = 'bench:pubsub';
const MESSAGE = 'm'.repeat(100);
const PUBLISH_DEPTH = 128;
const RAW_BATCH = 500;
const RAW_BATCHES_IN_FLIGHT = 8;
const WARMUP_MS = 1000;

interface CellResult {
  subject: Subject;
  workload: Workload;
  messagesPerSec: number;
  cpuMicrosPerMessage: number;
}

interface Side {
  /** Subscribes; `onMessage` counts each delivery. */
  subscribe(onMessage: () => void): Promise<void>;
  publish(): Promise<unknown>;
  close(): Promise<void>;
}

async function open(subject: Subject, url: string): Promise<Side> {
  if (subject === 'respline') {
    const client = new Client(url);
    await client.connect();
    return {
      subscribe: async (onMessage) => void (await client.subscribe(CHANNEL, onMessage)),
      publish: () => client.publish(CHANNEL, MESSAGE),
      close: () => client.quit(),
    };
  }
  if (subject === 'ioredis') {
    const publisher = new Redis(url);
    const subscriber = new Redis(url);
    return {
      subscribe: async (onMessage) => {
        subscriber.on('message', onMessage);
        await subscriber.subscribe(CHANNEL);
      },
      publish: () => publisher.publish(CHANNEL, MESSAGE),
      close: async () => {
        subscriber.disconnect();
        await publisher.quit();
      },
    };
  }
  const publisher = createClient({ url });
  const subscriber = publisher.duplicate();
  await Promise.all([publisher.connect(), subscriber.connect()]);
  return {
    subscribe: async (onMessage) => void (await subscriber.subscribe(CHANNEL, onMessage)),
    publish: () => publisher.publish(CHANNEL, MESSAGE),
    close: async () => {
      subscriber.destroy();
      await publisher.close();
    },
  };
}

/** Writes PUBLISH batches from one ready-made Buffer, keeping a bounded number unanswered. */
function rawPublisher(port: number): { stop(): void } {
  const one = `*3\r\n$7\r\nPUBLISH\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n$${MESSAGE.length}\r\n${MESSAGE}\r\n`;
  const batch = Buffer.from(one.repeat(RAW_BATCH));
  const socket = connect({ port, host: '127.0.0.1' });
  let stopped = false;
  let owed = 0;
  const top = (): void => {
    while (!stopped && owed < RAW_BATCH * RAW_BATCHES_IN_FLIGHT) {
      owed += RAW_BATCH;
      socket.write(batch);
    }
  };
  socket.on('connect', () => {
    process.send?.('publishing');
    top();
  });
  // Each reply is one integer line: counting line feeds counts replies.
  socket.on('data', (chunk: Buffer) => {
    let lines = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    owed -= lines;
    top();
  });
  socket.on('error', () => undefined);
  return {
    stop: () => {
      stopped = true;
      socket.destroy();
    },
  };
}

async function runCell(subject: Subject, workload: Workload, url: string, port: number, windowMs: number) {
  const side = await open(subject, url);
  let received = 0;
  await side.subscribe(() => {
    received++;
  });
  let stopAt = Infinity;
  let raw: { stop(): void } | null = null;
  const loops: Promise<void>[] = [];
  if (workload === 'raw-pub') {
    // Its own process, so its CPU is not the subscriber's.
    const child = track(fork(__filename, ['--publisher', String(port)], { execArgv: process.execArgv }));
    raw = { stop: () => child.kill('SIGTERM') };
    await new Promise((resolve) => child.once('message', resolve));
  } else {
    const loop = async (): Promise<void> => {
      while (performance.now() < stopAt) await side.publish();
    };
    for (let i = 0; i < PUBLISH_DEPTH; i++) loops.push(loop());
  }
  await sleep(WARMUP_MS);
  const startCount = received;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await sleep(windowMs);
  const counted = received - startCount;
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  stopAt = 0;
  raw?.stop();
  await Promise.all(loops);
  await side.close();
  const result: CellResult = {
    subject,
    workload,
    messagesPerSec: (counted / elapsed) * 1000,
    cpuMicrosPerMessage: (cpu.user + cpu.system) / Math.max(1, counted),
  };
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found === undefined ? fallback : Number(found.slice(name.length + 3));
}

function runForked(cell: string[]): Promise<CellResult> {
  return new Promise((resolve, reject) => {
    const child = track(fork(__filename, ['--cell', ...cell], { execArgv: process.execArgv }));
    child.once('message', (message) => resolve(message as CellResult));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`cell ${cell.join(' ')} exited with ${String(code)}`));
    });
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--publisher') {
    rawPublisher(Number(process.argv[3]));
    return;
  }
  if (process.argv[2] === '--cell') {
    const [subject, workload, url, port, windowMs] = process.argv.slice(3);
    const result = await runCell(
      subject as Subject,
      workload as Workload,
      url as string,
      Number(port),
      Number(windowMs),
    );
    process.send?.(result);
    process.exit(0);
  }
  installCleanup(() => undefined);
  const repeats = argument('repeats', 3);
  const windowMs = argument('window', 3000);
  const server = await startRedisServer();
  // A subscriber slower than the raw publisher must fall behind, not be disconnected by the server.
  const admin = new Client(server.url);
  await admin.configSet('client-output-buffer-limit', 'pubsub 0 0 0');
  await admin.quit();
  const results: CellResult[] = [];
  try {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const workload of WORKLOADS) {
        for (const subject of SUBJECTS) {
          const cell = [subject, workload, server.url, String(server.port), String(windowMs)];
          results.push(await runForked(cell));
          process.stderr.write('.');
        }
      }
    }
  } finally {
    await server.stop();
  }
  process.stderr.write('\n');
  console.log(`pub/sub, 100-byte messages, median of ${repeats} windows of ${windowMs} ms`);
  console.log('workload  subject      messages/s   subscriber CPU µs/message');
  for (const workload of WORKLOADS) {
    for (const subject of SUBJECTS) {
      const cells = results.filter((r) => r.subject === subject && r.workload === workload);
      const rate = median(cells.map((r) => r.messagesPerSec));
      const cpu = median(cells.map((r) => r.cpuMicrosPerMessage));
      console.log(
        `${workload.padEnd(9)} ${subject.padEnd(12)} ${Math.round(rate).toLocaleString('en-US').padStart(10)}   ${cpu.toFixed(2).padStart(8)}`,
      );
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
