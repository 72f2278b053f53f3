import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

import { RespDecoder } from '../../lib/resp/decoder';
import type { RespValue } from '../../lib/resp/types';

/**
 * A bare RESP connection for tests that must not depend on the Client under test: it writes the bytes it
 * is given and decodes what comes back with RespDecoder, keeping every raw byte for exact assertions.
 */

export type RawArg = string | Buffer | number;

export interface RawConnectOptions {
  host?: string;
  /** Decode strings as Buffers. */
  buffers?: boolean;
  /** Connect with TLS, trusting this CA. */
  tls?: { ca: Buffer };
}

/** Encodes a request as a RESP array of bulk strings. */
export function encodeCommand(args: readonly RawArg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

interface Waiter {
  resolve(value: RespValue): void;
  reject(error: Error): void;
}

export class RawClient {
  /** Pushes (RESP3 `>` frames), in arrival order. */
  readonly pushes: RespValue[][] = [];
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;
  private readonly decoder: RespDecoder;
  private readonly replies: RespValue[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly chunks: Buffer[] = [];
  private byteWaiters: Array<{ length: number; resolve(bytes: Buffer): void; reject(error: Error): void }> =
    [];
  private failure: Error | null = null;
  private isClosed = false;
  private dataEventCount = 0;

  private constructor(
    private readonly socket: Socket,
    buffers: boolean,
  ) {
    this.decoder = new RespDecoder({
      wantsBuffers: () => buffers,
      onReply: (value) => this.deliver(value),
      onPush: (value) => this.pushes.push(value),
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.isClosed = true;
        this.fail(new Error('connection closed'));
        resolve();
      });
    });
  }

  static connect(port: number, options: RawConnectOptions = {}): Promise<RawClient> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const socket =
        options.tls === undefined
          ? connectTcp({ port, host })
          : connectTls({ port, host, ca: options.tls.ca });
      const ready = options.tls === undefined ? 'connect' : 'secureConnect';
      socket.once('error', reject);
      socket.once(ready, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket, options.buffers ?? false));
      });
    });
  }

  /** Every byte received so far. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** How many 'data' events the socket emitted. */
  get dataEvents(): number {
    return this.dataEventCount;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  send(...args: RawArg[]): void {
    this.write(encodeCommand(args));
  }

  /** Sends one command and waits for the next reply. */
  command(...args: RawArg[]): Promise<RespValue> {
    this.send(...args);
    return this.next();
  }

  /** The next decoded reply; rejects if the connection fails first. */
  next(): Promise<RespValue> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift() as RespValue);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Waits until at least `length` bytes have arrived in total; rejects if the connection ends first. */
  waitForBytes(length: number): Promise<Buffer> {
    const received = this.received;
    if (received.length >= length) return Promise.resolve(received);
    if (this.isClosed) return Promise.reject(new Error(`closed after ${received.length} of ${length} bytes`));
    return new Promise((resolve, reject) => this.byteWaiters.push({ length, resolve, reject }));
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.dataEventCount += 1;
    this.chunks.push(chunk);
    this.notifyByteWaiters();
    try {
      this.decoder.feed(chunk);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private notifyByteWaiters(): void {
    if (this.byteWaiters.length === 0) return;
    const received = this.received;
    const waiting = this.byteWaiters;
    this.byteWaiters = waiting.filter((waiter) => {
      if (received.length < waiter.length) return true;
      waiter.resolve(received);
      return false;
    });
  }

  private deliver(value: RespValue): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) this.replies.push(value);
    else waiter.resolve(value);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    if (this.isClosed) {
      const received = this.received.length;
      for (const waiter of this.byteWaiters.splice(0)) {
        waiter.reject(new Error(`closed after ${received} of ${waiter.length} bytes`));
      }
    }
  }
}
