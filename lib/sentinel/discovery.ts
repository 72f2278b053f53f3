import type { Connection } from '../connection/connection';
import type { ReadyCheck, ServerAddress } from '../connection/options';
import { ConnectionClosedError, ReplyError, SentinelError } from '../errors';
import type { RespValue } from '../resp/types';
import { endpoint, hostPort, type SentinelConfig, type SentinelEndpoint } from './config';
import { address, masterOfEvent, parseSwitchMaster, sameAddress } from './events';
import { askSentinel, fieldsOf } from './sentinel-query';
import { SentinelSubscriber } from './subscriber';

/** Most a sentinel may take to accept and answer, so a dead one costs little before the next. */
const SENTINEL_TIMEOUT_MS = 1_000;
/** Longest a failover in progress holds new sockets back when its outcome is never heard. */
const FENCE_MS = 15_000;
/**
 * How long an address a failover moved away from stays refused, whatever a sentinel says. The old
 * master keeps calling itself master until the sentinels reconfigure it (about 10 s after a manual
 * failover), and a sentinel that has not heard of the failover yet (within seconds) still names it.
 */
const DEMOTED_MEMORY_MS = 30_000;
/** At most this often, the sentinel list is refreshed from `SENTINEL sentinels`. */
const REFRESH_INTERVAL_MS = 10_000;
/**
 * Published by the sentinel leading a failover one timer tick before it sends REPLICAOF NO ONE to the
 * replica it chose: the last moment at which writes to the old master still reach the new one.
 */
const FAILOVER_PROMOTING = '+failover-state-send-slaveof-noone';
/** Flags of a replica (or sentinel) that must not be used. */
const UNHEALTHY = new Set(['s_down', 'o_down', 'disconnected']);

interface Fence {
  /** The master being failed over from: refused until the failover ends one way or the other. */
  readonly master: ServerAddress;
  readonly timer: NodeJS.Timeout;
  readonly waiters: (() => void)[];
}

export interface DiscoveryEvents {
  /** The current server must be left now: its socket is dropped and the address resolved again. */
  leave(reason: Error): void;
  /** A sentinel's event stream failed (it is retried). */
  error(error: Error): void;
}

/**
 * Finds the server of a Client given `sentinels`, and tells the Client when to leave it.
 *
 * - `resolveAddress` asks the sentinels in turn for the master (or a healthy replica); the connection
 *   awaits it before every socket, within connectTimeout. A sentinel that answered moves to the front.
 * - `readyCheck` is ROLE, the connection's last handshake step: a server with another role than the
 *   one asked for fails the attempt, and the next attempt asks the sentinels again.
 * - It watches every sentinel's events. On `+switch-master` for its master it leaves the old server at
 *   once, and on the leader's announcement that it is promoting a replica it leaves even before, and
 *   holds new sockets back ("the fence") until the switch or an abort: writes acknowledged by an old
 *   master after the promotion would be lost when it rejoins as a replica.
 * - An address a failover moved away from is refused for a while, even when a sentinel that has not
 *   heard of the failover still names it.
 */
export class SentinelDiscovery {
  private readonly subscribers = new Map<string, SentinelSubscriber>();
  /** Connections of sentinel queries under way, ended by close(). */
  private readonly queries = new Set<Connection>();
  private readonly demoted = new Map<string, number>();
  private fence: Fence | null = null;
  private switchTarget: ServerAddress | null = null;
  private lastSwitch = '';
  private lastResolved = '';
  private lastRefresh = 0;
  private leavePending = false;
  private closed = false;
  private events: DiscoveryEvents | null = null;

  constructor(
    private readonly config: SentinelConfig,
    connectTimeout: number,
  ) {
    this.timeoutMs = connectTimeout > 0 ? Math.min(connectTimeout, SENTINEL_TIMEOUT_MS) : SENTINEL_TIMEOUT_MS;
  }

  private readonly timeoutMs: number;

  /** How messages name the server while it is not known: `"mymaster" (through Sentinel)`. */
  get label(): string {
    return `"${this.config.masterName}" ${this.config.role === 'replica' ? 'replica ' : ''}(through Sentinel)`;
  }

  listen(events: DiscoveryEvents): void {
    this.events = events;
  }

  readonly resolveAddress = async (): Promise<ServerAddress> => {
    this.watch();
    if (this.fence !== null) {
      const fence = this.fence;
      await new Promise<void>((resolve) => fence.waiters.push(resolve));
    }
    if (this.closed) throw this.closedError();
    const found = this.config.role === 'master' ? await this.findMaster() : await this.findReplica();
    this.lastResolved = hostPort(found.host, found.port);
    return found;
  };

  readonly readyCheck: ReadyCheck = {
    label: 'ROLE',
    args: ['ROLE'],
    verify: (reply: RespValue): Error | null => {
      const role = Array.isArray(reply) ? String(reply[0]) : String(reply);
      const wanted = this.config.role === 'master' ? 'master' : 'slave';
      if (role === wanted) return null;
      return new SentinelError(
        `${this.lastResolved}, named by the sentinels as ${this.config.role} of "${this.config.masterName}", ` +
          `answers ROLE ${role}: asking the sentinels again`,
      );
    },
  };

  /** Called with every error reply the Client's connection gets: READONLY means the master was demoted. */
  noticeReplyError(error: ReplyError): void {
    if (error.code !== 'READONLY' || this.config.role !== 'master' || this.leavePending) return;
    this.leavePending = true;
    // After the reply being decoded has settled: the socket is dropped between two chunks, not inside one.
    process.nextTick(() => {
      this.leavePending = false;
      this.leave(
        new SentinelError(
          `${this.lastResolved} answered READONLY: it is no longer the master of "${this.config.masterName}"; asking the sentinels again`,
        ),
      );
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscriber of this.subscribers.values()) subscriber.close();
    this.subscribers.clear();
    for (const query of this.queries) query.disconnect();
    this.queries.clear();
    this.liftFence(false);
  }

  // ---- discovery ----

  private async findMaster(): Promise<ServerAddress> {
    const { masterName, sentinels } = this.config;
    const failures: string[] = [];
    let unknown = 0;
    for (const sentinel of sentinels.slice()) {
      const name = hostPort(sentinel.host, sentinel.port);
      let reply: RespValue;
      try {
        reply = await askSentinel(
          sentinel,
          ['SENTINEL', 'get-master-addr-by-name', masterName],
          this.timeoutMs,
          this.queries,
        );
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
        continue;
      }
      if (this.closed) throw this.closedError();
      if (reply === null) {
        unknown++;
        failures.push(`${name}: no master named "${masterName}"`);
        continue;
      }
      const found =
        Array.isArray(reply) && reply.length === 2 ? address(String(reply[0]), String(reply[1])) : null;
      if (found === null) {
        failures.push(`${name}: answered something that is not an address`);
        continue;
      }
      if (this.isDemoted(found)) {
        failures.push(`${name}: still names ${hostPort(found.host, found.port)}, which a failover demoted`);
        continue;
      }
      this.answered(sentinel);
      return found;
    }
    const target = this.switchTarget;
    if (target !== null && !this.isDemoted(target)) return target;
    if (unknown === sentinels.length) {
      throw new SentinelError(
        `no sentinel knows a master named "${masterName}" (asked ${sentinels.length}): check masterName`,
      );
    }
    throw new SentinelError(`no sentinel named the master of "${masterName}": ${failures.join('; ')}`);
  }

  private async findReplica(): Promise<ServerAddress> {
    const { masterName, sentinels } = this.config;
    const failures: string[] = [];
    let unknown = 0;
    for (const sentinel of sentinels.slice()) {
      const name = hostPort(sentinel.host, sentinel.port);
      let reply: RespValue;
      try {
        reply = await askSentinel(
          sentinel,
          ['SENTINEL', 'replicas', masterName],
          this.timeoutMs,
          this.queries,
        );
      } catch (error) {
        if (error instanceof ReplyError && /no such master/i.test(error.message)) unknown++;
        failures.push(`${name}: ${(error as Error).message}`);
        continue;
      }
      if (this.closed) throw this.closedError();
      const healthy: ServerAddress[] = [];
      for (const entry of Array.isArray(reply) ? reply : []) {
        const fields = fieldsOf(entry);
        const flags = (fields['flags'] ?? '').split(',');
        if (flags.some((flag) => UNHEALTHY.has(flag))) continue;
        if (fields['master-link-status'] !== undefined && fields['master-link-status'] !== 'ok') continue;
        const found = address(fields['ip'] ?? '', fields['port'] ?? '');
        if (found !== null) healthy.push(found);
      }
      if (healthy.length === 0) {
        failures.push(`${name}: no healthy replica`);
        continue;
      }
      this.answered(sentinel);
      return healthy[Math.floor(Math.random() * healthy.length)] as ServerAddress;
    }
    if (unknown === sentinels.length) {
      throw new SentinelError(
        `no sentinel knows a master named "${masterName}" (asked ${sentinels.length}): check masterName`,
      );
    }
    throw new SentinelError(`no sentinel named a healthy replica of "${masterName}": ${failures.join('; ')}`);
  }

  /** The sentinel that answered is asked first next time, and is asked which other sentinels exist. */
  private answered(sentinel: SentinelEndpoint): void {
    const list = this.config.sentinels;
    const index = list.indexOf(sentinel);
    if (index > 0) {
      list.splice(index, 1);
      list.unshift(sentinel);
    }
    const now = Date.now();
    if (now - this.lastRefresh < REFRESH_INTERVAL_MS) return;
    this.lastRefresh = now;
    askSentinel(
      sentinel,
      ['SENTINEL', 'sentinels', this.config.masterName],
      this.timeoutMs,
      this.queries,
    ).then(
      (reply) => this.addSentinels(reply, sentinel),
      () => undefined,
    );
  }

  /** Sentinels it did not know join the list, with the options' sentinel credentials, else the teller's. */
  private addSentinels(reply: RespValue, teller: SentinelEndpoint): void {
    if (this.closed || !Array.isArray(reply)) return;
    const list = this.config.sentinels;
    for (const entry of reply) {
      const fields = fieldsOf(entry);
      const found = address(fields['ip'] ?? '', fields['port'] ?? '');
      if (found === null) continue;
      if (list.some((known) => known.host === found.host && known.port === found.port)) continue;
      const added = endpoint(
        found.host,
        found.port,
        teller.tls,
        this.config.defaultUsername ?? teller.username,
        this.config.defaultPassword ?? teller.password,
      );
      list.push(added);
      if (this.subscribers.size > 0) this.subscribe(added);
    }
  }

  // ---- events ----

  /** Subscribes to every sentinel's events, once, when the address is first needed. */
  private watch(): void {
    if (this.subscribers.size > 0 || this.closed) return;
    for (const sentinel of this.config.sentinels) this.subscribe(sentinel);
  }

  private subscribe(sentinel: SentinelEndpoint): void {
    const key = hostPort(sentinel.host, sentinel.port);
    if (this.subscribers.has(key)) return;
    this.subscribers.set(
      key,
      new SentinelSubscriber(sentinel, {
        onEvent: (channel, payload) => this.onEvent(channel, payload),
        onError: (error) => this.events?.error(error),
      }),
    );
  }

  private onEvent(channel: string, payload: string): void {
    const masterName = this.config.masterName;
    if (channel === '+switch-master') {
      const move = parseSwitchMaster(payload);
      if (move === null || move.masterName !== masterName || sameAddress(move.from, move.to)) return;
      this.demoted.set(key(move.from), Date.now() + DEMOTED_MEMORY_MS);
      this.demoted.delete(key(move.to));
      this.switchTarget = move.to;
      this.liftFence(false);
      // Every sentinel announces the switch as it learns of it: the first announcement is acted on.
      const switchKey = `${key(move.from)}>${key(move.to)}`;
      if (switchKey === this.lastSwitch) return;
      this.lastSwitch = switchKey;
      this.leave(
        new SentinelError(
          `the sentinels moved the master of "${masterName}" from ${key(move.from)} to ${key(move.to)}`,
        ),
      );
      return;
    }
    if (this.config.role !== 'master') return;
    const about = masterOfEvent(payload);
    if (about === null || about.masterName !== masterName) return;
    if (channel === FAILOVER_PROMOTING) {
      this.raiseFence(about.address);
      this.leave(
        new SentinelError(
          `a sentinel is failing over "${masterName}" from ${key(about.address)}: no more writes go there`,
        ),
      );
    } else if (channel.startsWith('-failover-abort') || channel === '+failover-end-for-timeout') {
      this.liftFence(true);
    }
  }

  private raiseFence(master: ServerAddress): void {
    if (this.fence !== null || this.closed) return;
    this.demoted.set(key(master), Date.now() + DEMOTED_MEMORY_MS);
    const timer = setTimeout(() => this.liftFence(false), FENCE_MS);
    timer.unref();
    this.fence = { master, timer, waiters: [] };
  }

  /** Lets held sockets go on; an aborted failover gives the old master back its place. */
  private liftFence(aborted: boolean): void {
    const fence = this.fence;
    if (fence === null) return;
    this.fence = null;
    clearTimeout(fence.timer);
    if (aborted) this.demoted.delete(key(fence.master));
    for (const resume of fence.waiters) resume();
  }

  private isDemoted(server: ServerAddress): boolean {
    const until = this.demoted.get(key(server));
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.demoted.delete(key(server));
    return false;
  }

  private leave(reason: Error): void {
    if (!this.closed) this.events?.leave(reason);
  }

  private closedError(): ConnectionClosedError {
    return new ConnectionClosedError(`the client for ${this.label} is closed`);
  }
}

function key(server: ServerAddress): string {
  return hostPort(server.host, server.port);
}
