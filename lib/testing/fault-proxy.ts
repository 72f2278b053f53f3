/**
 * FaultProxy: a TCP proxy for tests that sits between a client and a server (Redis, EmbeddedServer or
 * anything else) and injects network faults, switchable at any time: latency, a blackhole, a cut after
 * N bytes, tiny writes, and resets. It forwards bytes and knows nothing of RESP, so it works over TLS too.
 *
 *   const proxy = new FaultProxy({ port: redisPort });
 *   await proxy.start();
 *   const client = new Client(proxy.url);
 *   proxy.cutAfter(5);          // the next reply is cut after 5 bytes
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { closeServer, listenOnLoopback, LOOPBACK } from './loopback';

import { ProxyLane, type LaneControl, type LaneFaults } from './proxy-lane';

/** `toServer` is client→server, `toClient` is server→client. */
export type ProxyDirection = 'toServer' | 'toClient';
/** One direction, or `both`. */
export type ProxyDirections = ProxyDirection | 'both';

/** The server a FaultProxy forwards to. */
export interface ProxyUpstream {
  /** Default 127.0.0.1. */
  host?: string;
  /** Its port. */
  port: number;
}

/** Where a FaultProxy listens. */
export interface FaultProxyOptions {
  /** Port the proxy listens on, on 127.0.0.1; 0 (the default) picks a free one. Kept across restarts. */
  port?: number;
}

/** What a FaultProxy has seen and done since it was created. */
export interface FaultProxyStats {
  /** Connection pairs open now. */
  active: number;
  /** Client connections accepted since creation. */
  accepted: number;
  /** Connection pairs destroyed by `cutAfter`. */
  cuts: number;
  /** Bytes forwarded client→server. */
  bytesToServer: number;
  /** Bytes forwarded server→client. */
  bytesToClient: number;
  /** Bytes a blackhole swallowed, client→server. */
  swallowedToServer: number;
  /** Bytes a blackhole swallowed, server→client. */
  swallowedToClient: number;
}

/** A client connection and its upstream connection; a fault or failure on either ends both. */
class ProxiedConnection {
  private readonly lanes: ProxyLane[];
  private finished = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    controls: Record<ProxyDirection, LaneControl>,
    private readonly onCut: () => void,
    private readonly onClose: () => void,
  ) {
    const toServer = new ProxyLane(client, upstream, controls.toServer, () => this.cut());
    const toClient = new ProxyLane(upstream, client, controls.toClient, () => this.cut());
    this.lanes = [toServer, toClient];
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => toServer.push(chunk));
    upstream.on('data', (chunk: Buffer) => toClient.push(chunk));
    // Sockets are half-open: an end is passed on in order, after the data before it.
    client.on('end', () => toServer.endWhenDrained());
    upstream.on('end', () => toClient.endWhenDrained());
    for (const socket of [client, upstream]) {
      // An error on either side ends the pair; the listener also keeps the error from being thrown.
      socket.on('error', () => this.destroy());
      // A socket closes once both its directions have ended, or when destroyed: the pair is done.
      socket.on('close', () => this.destroy());
    }
  }

  /** A blackhole swallowed part of either stream. */
  get broken(): boolean {
    return this.lanes.some((lane) => lane.swallowedBytes);
  }

  /** Ends both sockets at once, discarding anything not yet forwarded. */
  destroy(): void {
    if (this.finish()) {
      this.client.destroy();
      this.upstream.destroy();
    }
  }

  /** Ends both sockets once the bytes already written have been flushed, so the partial data arrives. */
  private cut(): void {
    if (!this.finish()) return;
    this.onCut();
    for (const socket of [this.client, this.upstream]) socket.end(() => socket.destroy());
  }

  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    for (const lane of this.lanes) lane.stop();
    this.onClose();
    return true;
  }
}

/**
 * A TCP proxy on 127.0.0.1 that injects network faults between a client and a server, switchable at
 * any time: latency, a blackhole, a cut after N bytes, tiny writes, resets. It knows nothing of RESP.
 *
 * ```ts
 * const proxy = new FaultProxy({ port: redisPort });
 * await proxy.start();
 * const client = new Client(proxy.url);
 * proxy.cutAfter(5); // the next reply is cut after 5 bytes
 * ```
 */
export class FaultProxy {
  private readonly upstreamHost: string;
  private readonly upstreamPort: number;
  private readonly connections = new Set<ProxiedConnection>();
  private readonly faults: Record<ProxyDirection, LaneFaults> = {
    toServer: noFaults(),
    toClient: noFaults(),
  };
  private readonly controls: Record<ProxyDirection, LaneControl>;
  /** An armed `cutAfter`: bytes still allowed in `direction` before the connection is cut. */
  private cutBudget: { direction: ProxyDirection; remaining: number } | null = null;
  private server: Server | null = null;
  private listeningPort: number;
  private counters = {
    accepted: 0,
    cuts: 0,
    bytesToServer: 0,
    bytesToClient: 0,
    swallowedToServer: 0,
    swallowedToClient: 0,
  };

  constructor(upstream: ProxyUpstream, options: FaultProxyOptions = {}) {
    this.upstreamHost = upstream.host ?? LOOPBACK;
    this.upstreamPort = upstream.port;
    this.listeningPort = options.port ?? 0;
    this.controls = { toServer: this.controlFor('toServer'), toClient: this.controlFor('toClient') };
  }

  /** The listening port; 0 before the first `start()`. */
  get port(): number {
    return this.listeningPort;
  }

  /** `redis://127.0.0.1:<port>`, to hand to a Client instead of the server's own URL. */
  get url(): string {
    return `redis://${LOOPBACK}:${this.listeningPort}`;
  }

  /** Connection pairs open now. */
  get activeConnections(): number {
    return this.connections.size;
  }

  /** Client connections accepted since creation. */
  get totalConnections(): number {
    return this.counters.accepted;
  }

  /** A snapshot of its counters. */
  stats(): FaultProxyStats {
    return { active: this.connections.size, ...this.counters };
  }

  /** Listens on 127.0.0.1. After `stop()`, starting again reuses the same port. */
  async start(): Promise<{
    /** The port it listens on. */
    port: number;
  }> {
    if (this.server !== null) return { port: this.listeningPort };
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    this.listeningPort = await listenOnLoopback(server, this.listeningPort);
    this.server = server;
    return { port: this.listeningPort };
  }

  /** Destroys every connection and stops listening. Faults stay set. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    this.resetAll();
    await closeServer(server);
  }

  /** Adds `ms` of latency to every chunk forwarded in `direction` (default both), keeping byte order. */
  setDelay(ms: number, direction: ProxyDirections = 'both'): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a finite number >= 0, got ${ms}`);
    for (const lane of lanesOf(direction)) this.faults[lane].delayMs = ms;
  }

  /** While on, bytes in `direction` (default both) are swallowed; the sockets stay open. */
  blackhole(on: boolean, direction: ProxyDirections = 'both'): void {
    for (const lane of lanesOf(direction)) this.faults[lane].blackhole = on;
    if (!on) this.resetBroken();
  }

  /**
   * Arms a one-shot cut: the next `bytes` bytes forwarded in `direction` (default server→client, across
   * all connections) pass, then the connection that carried the last of them is closed on both sides,
   * in the middle of whatever it was sending. With 0, the next connection to forward anything is cut
   * before any byte passes. A later call replaces an armed cut.
   */
  cutAfter(bytes: number, direction: ProxyDirection = 'toClient'): void {
    if (!Number.isInteger(bytes) || bytes < 0)
      throw new RangeError(`bytes must be an integer >= 0, got ${bytes}`);
    this.cutBudget = { direction, remaining: bytes };
  }

  /** Splits forwarded data into writes of at most `size` bytes (down to 1); null forwards chunks whole. */
  rechunk(size: number | null, direction: ProxyDirections = 'both'): void {
    if (size !== null && (!Number.isInteger(size) || size < 1)) {
      throw new RangeError(`chunk size must be an integer >= 1 or null, got ${size}`);
    }
    for (const lane of lanesOf(direction)) this.faults[lane].chunkSize = size;
  }

  /** Destroys every current connection now. New connections are still accepted. */
  resetAll(): void {
    for (const connection of [...this.connections]) connection.destroy();
  }

  /** Removes every fault, including an armed cut. Open connections are kept. */
  clearFaults(): void {
    this.faults.toServer = noFaults();
    this.faults.toClient = noFaults();
    this.cutBudget = null;
    this.resetBroken();
  }

  /**
   * TCP never skips bytes: a link that lost some ends up reset, never resumed with a gap, which would
   * desynchronise any protocol. So connections a blackhole took bytes from are reset when it lifts.
   */
  private resetBroken(): void {
    for (const connection of this.connections) if (connection.broken) connection.destroy();
  }

  private accept(client: Socket): void {
    this.counters.accepted += 1;
    const upstream = connect({ port: this.upstreamPort, host: this.upstreamHost, allowHalfOpen: true });
    const connection = new ProxiedConnection(
      client,
      upstream,
      this.controls,
      () => {
        this.counters.cuts += 1;
      },
      () => this.connections.delete(connection),
    );
    this.connections.add(connection);
  }

  private controlFor(direction: ProxyDirection): LaneControl {
    return {
      faults: () => this.faults[direction],
      admit: (length) => {
        const budget = this.cutBudget;
        if (budget === null || budget.direction !== direction) return { pass: length, cut: false };
        const pass = Math.min(length, budget.remaining);
        budget.remaining -= pass;
        if (budget.remaining > 0) return { pass, cut: false };
        this.cutBudget = null;
        return { pass, cut: true };
      },
      forwarded: (length) => {
        if (direction === 'toServer') this.counters.bytesToServer += length;
        else this.counters.bytesToClient += length;
      },
      swallowed: (length) => {
        if (direction === 'toServer') this.counters.swallowedToServer += length;
        else this.counters.swallowedToClient += length;
      },
    };
  }
}

function noFaults(): LaneFaults {
  return { delayMs: 0, blackhole: false, chunkSize: null };
}

function lanesOf(direction: ProxyDirections): ProxyDirection[] {
  return direction === 'both' ? ['toServer', 'toClient'] : [direction];
}
