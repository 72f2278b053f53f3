import type {
  MessageListener,
  PatternListener,
  SubscribeOptions,
  Subscription,
  SubscriptionKind,
} from '../client/subscriber';
import { ConnectionClosedError, ConnectionError, InvalidArgumentError } from '../errors';
import type { ClusterNode } from './node';
import { slotOf } from './slot';

/** How long a placement that failed to subscribe waits before the next attempt. */
const RETRY_MS = 200;

/** What the registry needs to know of the slot map: who serves a slot, and which masters are up. */
export interface SubscriptionHost {
  slotMaster(slot: number): ClusterNode | undefined;
  liveMasters(): ClusterNode[];
  /** Reloads the slot map (one load in flight serves every caller). */
  reload(): Promise<void>;
}

type AnyListener = PatternListener<string> | PatternListener<Buffer>;

/** One channel of one subscribe call, and the node Client it listens on now. */
interface Placement {
  readonly kind: SubscriptionKind;
  readonly channel: string;
  readonly listener: AnyListener;
  readonly buffers: boolean;
  node: ClusterNode | null;
  subscription: Promise<Subscription> | null;
}

/**
 * RedisCluster's subscriptions, each living on one node's Client (whose subscriber does the wire work)
 * and moved, unsubscribe there first and subscribe on the new node after, when its node is lost or its
 * shard channel's slot moves. Never on two nodes at once, so a message is delivered at most once.
 *
 * Channels and patterns share one node (any live master: Redis propagates PUBLISH cluster-wide); a
 * shard channel lives on the master of its slot.
 */
export class ClusterSubscriptions {
  private readonly placements = new Set<Placement>();
  /** The node every channel and pattern listens on, kept while it is a live master. */
  private broadcastNode: ClusterNode | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly host: SubscriptionHost) {}

  subscribe(
    kind: SubscriptionKind,
    names: unknown,
    listener: unknown,
    options: SubscribeOptions | undefined,
  ): Promise<Subscription> {
    const channels = channelList(names);
    if (channels instanceof InvalidArgumentError) return Promise.reject(channels);
    if (typeof listener !== 'function') {
      return Promise.reject(new InvalidArgumentError('subscribe needs a listener function'));
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      return Promise.reject(new InvalidArgumentError('subscribe options must be an object: { buffers }'));
    }
    if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    const buffers = options?.buffers === true;
    const mine = channels.map((channel): Placement => ({
      kind,
      channel,
      // Checked to be a function above; the RedisCluster overloads type it by `buffers`.
      listener: listener as AnyListener,
      buffers,
      node: null,
      subscription: null,
    }));
    let unsubscribed: Promise<void> | null = null;
    const subscription: Subscription = {
      channels,
      unsubscribe: () => (unsubscribed ??= Promise.all(mine.map((p) => this.remove(p))).then(noop)),
    };
    for (const placement of mine) this.placements.add(placement);
    const confirmed = mine.map((placement) => this.place(placement));
    return Promise.all(confirmed).then(
      () => subscription,
      (error: Error) => subscription.unsubscribe().then(() => Promise.reject(error)),
    );
  }

  /** Every listener of these channels (all of this kind when none is named). */
  unsubscribe(kind: SubscriptionKind, names: unknown[]): Promise<void> {
    if (names.some((name) => typeof name !== 'string' || name.length === 0)) {
      return Promise.reject(new InvalidArgumentError('a channel name must be a non-empty string'));
    }
    const wanted = new Set(names as string[]);
    const gone = [...this.placements].filter(
      (placement) => placement.kind === kind && (wanted.size === 0 || wanted.has(placement.channel)),
    );
    return Promise.all(gone.map((placement) => this.remove(placement))).then(noop);
  }

  /** The slot map changed or a node was lost: every placement whose node is no longer right moves. */
  rebalance(): void {
    if (this.closed) return;
    for (const placement of this.placements) {
      const target = this.targetOf(placement);
      if (target !== placement.node || placement.subscription === null) {
        this.place(placement).catch(noop);
      }
    }
  }

  /**
   * `node` ended a shard channel's subscription by itself (Redis 7 does when the channel's slot leaves
   * it): its listeners are gone there, so they subscribe again on the slot's master once the reloaded
   * map names it, at once rather than at the next periodic refresh.
   */
  dropped(node: ClusterNode, channel: string): void {
    if (this.closed) return;
    let moved = false;
    for (const placement of this.placements) {
      if (placement.kind !== 'shard' || placement.channel !== channel || placement.node !== node) continue;
      // Nothing to unsubscribe: the node Client has already dropped these listeners.
      placement.subscription = null;
      placement.node = null;
      moved = true;
    }
    if (moved) {
      this.host.reload().then(
        () => this.rebalance(),
        () => this.retrySoon(),
      );
    }
  }

  /** Stops moving; the node Clients close their subscribers themselves. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.placements.clear();
  }

  /** Where a placement belongs now, or null when no live master serves it. */
  private targetOf(placement: Placement): ClusterNode | null {
    if (placement.kind === 'shard') {
      const master = this.host.slotMaster(slotOf(placement.channel));
      return master === undefined || master.down ? null : master;
    }
    const live = this.host.liveMasters();
    if (this.broadcastNode === null || !live.includes(this.broadcastNode)) {
      this.broadcastNode = live[0] ?? null;
    }
    return this.broadcastNode;
  }

  /** Leaves the current node (if any) and subscribes on the target; resolves once confirmed there. */
  private place(placement: Placement): Promise<void> {
    const target = this.targetOf(placement);
    this.leave(placement);
    if (target === null) {
      this.retrySoon();
      return Promise.reject(
        new ConnectionError(
          `no live master serves ${placement.kind === 'shard' ? `slot ${slotOf(placement.channel)}` : 'pub/sub'} yet: call connect()`,
          false,
        ),
      );
    }
    placement.node = target;
    const subscribed = subscribeOn(target, placement);
    placement.subscription = subscribed;
    return subscribed.then(
      (subscription) => {
        // Moved again or removed while this was in flight: this one is not wanted any more.
        if (placement.subscription !== subscribed) void subscription.unsubscribe().catch(noop);
      },
      (error: Error) => {
        if (placement.subscription === subscribed) {
          placement.subscription = null;
          placement.node = null;
          this.retrySoon();
        }
        throw error;
      },
    );
  }

  /** Takes the listener off its node (a microtask later, before any reply of the new node can arrive), so it never hears twice. */
  private leave(placement: Placement): void {
    const previous = placement.subscription;
    placement.subscription = null;
    placement.node = null;
    if (previous !== null) {
      void previous.then((subscription) => subscription.unsubscribe()).catch(noop);
    }
  }

  private remove(placement: Placement): Promise<void> {
    this.placements.delete(placement);
    const previous = placement.subscription;
    placement.subscription = null;
    placement.node = null;
    if (previous === null) return Promise.resolve();
    return previous.then((subscription) => subscription.unsubscribe()).catch(noop);
  }

  /** A placement failed (no live master, or a node that no longer serves the slot): reload the map, then try again. */
  private retrySoon(): void {
    if (this.closed || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const again = (): void => this.rebalance();
      this.host.reload().then(again, again);
    }, RETRY_MS);
    this.retryTimer.unref();
  }
}

function subscribeOn(node: ClusterNode, placement: Placement): Promise<Subscription> {
  const client = node.client;
  const { channel, listener } = placement;
  switch (placement.kind) {
    case 'channel':
      return placement.buffers
        ? client.subscribe(channel, listener as MessageListener<Buffer>, { buffers: true })
        : client.subscribe(channel, listener as MessageListener<string>);
    case 'pattern':
      return placement.buffers
        ? client.psubscribe(channel, listener as PatternListener<Buffer>, { buffers: true })
        : client.psubscribe(channel, listener as PatternListener<string>);
    case 'shard':
      return placement.buffers
        ? client.ssubscribe(channel, listener as MessageListener<Buffer>, { buffers: true })
        : client.ssubscribe(channel, listener as MessageListener<string>);
  }
}

/** One name or a non-empty list of non-empty strings, duplicates dropped. */
function channelList(names: unknown): string[] | InvalidArgumentError {
  const list = typeof names === 'string' ? [names] : Array.isArray(names) ? (names as unknown[]) : null;
  if (list === null || list.length === 0) {
    return new InvalidArgumentError('subscribe takes a channel name or a non-empty array of them');
  }
  for (const name of list) {
    if (typeof name !== 'string' || name.length === 0) {
      return new InvalidArgumentError(`a channel name must be a non-empty string, got ${String(name)}`);
    }
  }
  return [...new Set(list as string[])];
}

function noop(): void {}
