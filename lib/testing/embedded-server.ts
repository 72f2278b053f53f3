/**
 * EmbeddedServer: an in-process RESP server for tests and demos. It is NOT a Redis.
 *
 * Keyspace commands run on ioredis-mock, so their coverage and fidelity are ioredis-mock's (a few gaps
 * that matter to clients are patched in MockBackend: WRONGTYPE on string commands, non-integer INCR,
 * RENAME of a missing key). The connection layer follows Redis 7 closely, byte for byte where clients
 * care: RESP2 and RESP3 (HELLO 3), AUTH with an optional password, SELECT, CLIENT SETNAME/GETNAME/ID,
 * MULTI/EXEC/DISCARD, QUIT, pipelining with replies in request order, and Redis's error wording.
 * Not supported: pub/sub, WATCH, blocking commands, persistence, replication, cluster.
 *
 * What a real server cannot do, it can: `respondWith` answers chosen commands with arbitrary bytes (or
 * none, or a closed socket), and `injectRaw` writes unsolicited bytes to every connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { closeServer, listenOnLoopback, LOOPBACK } from './loopback';

import type { CommandHook } from './command-hook';
import { EmbeddedConnection, type SessionContext } from './embedded-connection';
import { MockBackend } from './mock-backend';

export type { CommandHook, HookAction, IncomingCommand } from './command-hook';

/** How an EmbeddedServer listens and whom it lets in. */
export interface EmbeddedServerOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. A restart after `stop()` reuses the same port. */
  port?: number;
  /** When set, commands other than AUTH, HELLO and QUIT are refused with NOAUTH until authenticated. */
  password?: string;
  /** The only user AUTH accepts. Default `default`, Redis's default user. */
  username?: string;
  /** Number of databases SELECT accepts. Default 16. */
  databases?: number;
}

const SERVER_VERSION = '7.0.0';

/**
 * An in-process RESP server on 127.0.0.1 for tests and demos, not a Redis: keyspace commands run on
 * ioredis-mock (an optional peer dependency), connection commands (HELLO, AUTH, SELECT, MULTI, pub/sub…)
 * are its own, unsupported commands get `-ERR`, and `respondWith` lets a test answer any command with
 * raw bytes.
 */
export class EmbeddedServer {
  private readonly backend = new MockBackend();
  private readonly connections = new Set<EmbeddedConnection>();
  private readonly context: SessionContext;
  private server: Server | null = null;
  private listeningPort: number;
  private hook: CommandHook | undefined;
  private accepted = 0;
  /** Tail of the server-wide execution chain; see `exclusive`. */
  private lastTask: Promise<unknown> = Promise.resolve();

  constructor(options: EmbeddedServerOptions = {}) {
    this.listeningPort = options.port ?? 0;
    this.context = {
      username: options.username ?? 'default',
      password: options.password,
      databases: options.databases ?? 16,
      backend: this.backend,
      serverVersion: SERVER_VERSION,
      currentHook: () => this.hook,
      exclusive: (task) => this.exclusive(task),
      infoText: () => this.infoText(),
    };
  }

  /** The listening port; 0 before the first `start()`. */
  get port(): number {
    return this.listeningPort;
  }

  /** `redis://127.0.0.1:<port>`, to hand to a Client. */
  get url(): string {
    return `redis://${LOOPBACK}:${this.listeningPort}`;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections accepted since the server was created. */
  get totalConnections(): number {
    return this.accepted;
  }

  /** Whether it is listening now: between `start()` and `stop()`. */
  get listening(): boolean {
    return this.server !== null;
  }

  /** Starts listening (again, after `stop()`, on the same port). Resolves once connections are accepted. */
  async start(): Promise<{
    /** The port it listens on. */
    port: number;
  }> {
    if (this.server !== null) return { port: this.listeningPort };
    const server = createServer((socket) => this.accept(socket));
    this.listeningPort = await listenOnLoopback(server, this.listeningPort);
    this.server = server;
    return { port: this.listeningPort };
  }

  /** Drops every connection and stops listening. The data is kept: `start()` serves it again. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.resetAll();
    await closeServer(server);
  }

  /**
   * Installs a hook that sees every command before the server does, or removes it with `undefined`.
   * See HookAction for what it may answer.
   */
  respondWith(hook: CommandHook | undefined): void {
    this.hook = hook;
  }

  /** Writes `bytes` to every open connection, between replies. Returns how many connections got them. */
  injectRaw(bytes: Buffer): number {
    for (const connection of this.connections) connection.writeRaw(bytes);
    return this.connections.size;
  }

  /** Destroys every open connection now, without replies, as a crashing server would. */
  resetAll(): void {
    for (const connection of this.connections) connection.close();
  }

  /** Empties every database, as a restart without persistence would. */
  async flushAll(): Promise<void> {
    await this.exclusive(() => this.backend.flushAll());
  }

  private accept(socket: Socket): void {
    this.accepted += 1;
    const connection = new EmbeddedConnection(this.accepted, socket, this.context);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /**
   * Serialises command execution across connections, as Redis's single thread does, so that MULTI/EXEC
   * and the read-check-write guards in MockBackend are atomic. Hooks run outside it, so a hook that
   * stalls one connection does not stall the others.
   */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lastTask.then(task);
    this.lastTask = run.catch(() => undefined);
    return run;
  }

  private infoText(): string {
    return [
      '# Server',
      `redis_version:${SERVER_VERSION}`,
      'redis_mode:standalone',
      'respline_embedded_server:1',
      `tcp_port:${this.listeningPort}`,
      '',
      '# Clients',
      `connected_clients:${this.connections.size}`,
      '',
    ].join('\r\n');
  }
}
