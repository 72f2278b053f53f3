/**
 * One benchmark worker process. It is forked by the coordinator with an IPC channel, drives exactly one
 * client (or one decoder), and answers requests one at a time, so only one thing is measured at once.
 * Start-up (loading the client library, connecting) happens in `connect`, outside every measured window.
 */
import { openClient, type BenchClient } from './clients/index';
import { measureCell } from './cell';
import { measureDecoder } from './decoder';
import { measureMemory } from './memory';
import { benchKey, benchValue, type WorkerEnvelope, type WorkerReply, type WorkerRequest } from './protocol';

interface Loaded {
  client: BenchClient;
  keys: string[];
  batches: string[][];
  value: string;
}

const PIPELINE_LENGTH = 100;
let loaded: Loaded | null = null;

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.kind) {
    case 'connect': {
      const client = await openClient(request.client, request.url);
      const keys = Array.from({ length: request.keyCount }, (_, i) => benchKey(i));
      const batches: string[][] = [];
      for (let i = 0; i + PIPELINE_LENGTH <= keys.length; i += PIPELINE_LENGTH) {
        batches.push(keys.slice(i, i + PIPELINE_LENGTH));
      }
      const value = benchValue(request.valueSize);
      // A client that quietly returns the wrong thing would post great numbers: check one reply first.
      const sample = await client.get(keys[keys.length - 1]);
      if (request.client !== 'noop' && sample !== value) {
        throw new Error(`${request.client} read ${JSON.stringify(sample)?.slice(0, 40)} for a preloaded key`);
      }
      loaded = { client, keys, batches, value };
      return { rssBytes: process.memoryUsage.rss() };
    }
    case 'cell': {
      const { client, keys, batches, value } = need();
      return measureCell(request.spec, client, keys, batches, value);
    }
    case 'memory': {
      const { client, keys } = need();
      return measureMemory(client, keys, request.pending);
    }
    case 'decoder':
      return measureDecoder(
        request.impl,
        request.frames,
        request.chunkBytes,
        request.valueSize,
        request.durationMs,
      );
    case 'close':
      if (loaded) await loaded.client.close();
      loaded = null;
      return null;
  }
}

function need(): Loaded {
  if (!loaded) throw new Error('the worker got a measurement before connect');
  return loaded;
}

function reply(message: WorkerReply): void {
  process.send?.(message);
}

process.on('message', (message: WorkerEnvelope) => {
  handle(message.request).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) =>
      reply({
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});

// The coordinator going away (even by SIGKILL) closes the channel: never outlive it.
process.on('disconnect', () => process.exit(0));
