import type { Client } from '../client';
import type {
  MessageListener,
  PatternListener,
  SubscribeOptions,
  Subscription,
  SubscriptionKind,
} from '../client/subscriber';
import type { CommandFlags } from '../connection/pending-command';
import {
  ConnectionClosedError,
  InvalidArgumentError,
  ReplicationError,
  type ReplicaOutcome,
} from '../errors';
import type { CommandArg } from '../resp/types';

/** A replica of a shard, as the cluster's health sees it now. */
export interface ReplicaView {
  readonly replica: number;
  readonly shard: number;
  /** Password hidden, as in health(). */
  readonly url: string;
  readonly client: Client;
  readonly up: boolean;
  /** Up, or at least connected: worth sending a PUBLISH to. */
  readonly reachable: boolean;
}

/** What the cluster's pub/sub needs from the Cluster: routing and the replicas of a shard. */
export interface PubSubTopology {
  readonly shardCount: number;
  shardOf(channel: string): number;
  replicasOf(shard: number): readonly ReplicaView[];
  onError(error: Error): void;
}

/** A listener as a subscribe call gave it, with the form of strings it wants. */
type Target =
  | { readonly buffers: false; readonly listener: PatternListener<string> }
  | { readonly buffers: true; readonly listener: PatternListener<Buffer> };

/** One channel (or a pattern, on one shard), listened to on exactly one replica of its shard. */
class Leg {
  /** The replica it listens on; -1 while it listens nowhere (every replica failed it). */
  replica = -1;
  subscription: Subscription | null = null;
  /** Moves and the final unsubscribe run one after another, never two at once. */
  turn: Promise<void> = Promise.resolve();
  closed = false;

  constructor(
    readonly kind: SubscriptionKind,
    readonly name: string,
    readonly shard: number,
    readonly target: Target,
  ) {}
}

/**
 * Pub/sub over the Cluster. A channel is routed like a key (its shard), and PUBLISH goes to every
 * replica of that shard like a write; so each replica delivers every message, and a subscriber listens
 * on one replica of the shard only — never two at once, so nothing is delivered twice. When that
 * replica goes down, the listener moves to the next healthy one: the old subscription is dropped at
 * once (nothing it still delivers reaches the listener), then the new one is made. Messages published
 * during the move are lost, as with any reconnect: delivery is at most once. A pattern may match a
 * channel of any shard, so it listens on one replica of every shard.
 */
export class ClusterSubscriber {
  private readonly legs = new Set<Leg>();
  private closed = false;

  constructor(private readonly topology: PubSubTopology) {}

  subscribe(
    kind: SubscriptionKind,
    names: unknown,
    listener: unknown,
    options: SubscribeOptions | undefined,
  ): Promise<Subscription> {
    const list = typeof names === 'string' ? [names] : Array.isArray(names) ? (names as unknown[]) : [];
    if (list.length === 0 || list.some((name) => typeof name !== 'string' || name.length === 0)) {
      return Promise.reject(
        new InvalidArgumentError('subscribe takes a channel name or a non-empty array of them'),
      );
    }
    if (typeof listener !== 'function') {
      return Promise.reject(new InvalidArgumentError('subscribe needs a listener function'));
    }
    if (this.closed) return Promise.reject(new ConnectionClosedError('the cluster is closed'));
    // Checked to be a function above; the Cluster's overloads type it by `buffers`.
    const target: Target =
      options?.buffers === true
        ? { buffers: true, listener: listener as PatternListener<Buffer> }
        : { buffers: false, listener: listener as PatternListener<string> };
    const channels = [...new Set(list as string[])];
    const legs: Leg[] = [];
    for (const name of channels) {
      const shards =
        kind === 'pattern'
          ? Array.from({ length: this.topology.shardCount }, (_, shard) => shard)
          : [this.topology.shardOf(name)];
      for (const shard of shards) legs.push(new Leg(kind, name, shard, target));
    }
    for (const leg of legs) this.legs.add(leg);
    const unsubscribe = (): Promise<void> => Promise.all(legs.map((leg) => this.close(leg))).then(noop);
    const placed = legs.map((leg) => {
      const placing = this.place(leg, -1);
      leg.turn = placing.catch(noop);
      return placing;
    });
    return Promise.all(placed).then(
      () => ({ channels, unsubscribe }),
      (error: Error) => unsubscribe().then(() => Promise.reject(error)),
    );
  }

  /** Ends every leg of these names (of all names of the kind when none is given). */
  unsubscribe(kind: SubscriptionKind, names: readonly string[]): Promise<void> {
    const wanted = new Set(names);
    const closing: Promise<void>[] = [];
    for (const leg of this.legs) {
      if (leg.kind === kind && (wanted.size === 0 || wanted.has(leg.name))) closing.push(this.close(leg));
    }
    return Promise.all(closing).then(noop);
  }

  /** A server was marked down: the legs listening on it move to another replica of its shard. */
  serverDown(replica: number, shard: number): void {
    for (const leg of this.legs) {
      if (leg.shard === shard && leg.replica === replica) this.enqueue(leg, () => this.place(leg, replica));
    }
  }

  /** A server came back: legs that found no replica at all try again. */
  serverUp(shard: number): void {
    for (const leg of this.legs) {
      if (leg.shard === shard && leg.replica === -1) this.enqueue(leg, () => this.place(leg, -1));
    }
  }

  /** The cluster closed: the servers' Clients end their own subscriber connections. */
  closeAll(): void {
    this.closed = true;
    for (const leg of this.legs) leg.closed = true;
    this.legs.clear();
  }

  private enqueue(leg: Leg, step: () => Promise<void>): void {
    leg.turn = leg.turn.then(step).catch((error: Error) => {
      if (!leg.closed) this.topology.onError(error);
    });
  }

  private close(leg: Leg): Promise<void> {
    if (leg.closed) return leg.turn;
    leg.closed = true;
    this.legs.delete(leg);
    // Dropped locally at once, whatever the server still sends; the UNSUBSCRIBE may wait for it.
    const subscription = leg.subscription;
    leg.subscription = null;
    const done = subscription === null ? Promise.resolve() : subscription.unsubscribe().catch(noop);
    leg.turn = leg.turn.then(() => done);
    return leg.turn;
  }

  /**
   * Listens on the first healthy replica other than `leaving` (down ones last), trying each in turn.
   * The old subscription ends first, so two replicas never deliver to this leg at once.
   */
  private async place(leg: Leg, leaving: number): Promise<void> {
    if (leg.closed) return;
    const old = leg.subscription;
    leg.subscription = null;
    leg.replica = -1;
    if (old !== null) void old.unsubscribe().catch(noop);
    const replicas = this.topology.replicasOf(leg.shard);
    const order = [
      ...replicas.filter((view) => view.up && view.replica !== leaving),
      ...replicas.filter((view) => !view.up && view.replica !== leaving),
      ...replicas.filter((view) => view.replica === leaving),
    ];
    let lastError: Error | null = null;
    for (const view of order) {
      if (leg.closed) return;
      try {
        const subscription = await subscribeOn(view.client, leg);
        if (leg.closed) {
          void subscription.unsubscribe().catch(noop);
          return;
        }
        leg.subscription = subscription;
        leg.replica = view.replica;
        return;
      } catch (error) {
        lastError = error as Error;
      }
    }
    throw lastError ?? new ConnectionClosedError(`no replica of shard ${leg.shard} to subscribe on`);
  }
}

/**
 * PUBLISH or SPUBLISH to every reachable replica of the channel's shard. Each replica delivers to the
 * subscribers listening on it, and those are disjoint (a subscriber listens on one replica), so the
 * receivers are the sum of the replicas' counts: it resolves with that sum once every replica sent to
 * has answered or failed, and rejects only when none answered.
 */
export function publishToShard(
  replicas: readonly ReplicaView[],
  args: readonly CommandArg[],
  flags: CommandFlags,
): Promise<number> {
  const reachable = replicas.filter((view) => view.reachable);
  const targets = reachable.length > 0 ? reachable : replicas;
  return Promise.allSettled(targets.map((view) => view.client.sendCommand(args, flags))).then((outcomes) => {
    let receivers = 0;
    let answered = 0;
    const failures: ReplicaOutcome[] = [];
    outcomes.forEach((outcome, index) => {
      const view = targets[index] as ReplicaView;
      if (outcome.status === 'fulfilled' && typeof outcome.value === 'number') {
        receivers += outcome.value;
        answered++;
      } else {
        const error =
          outcome.status === 'rejected'
            ? (outcome.reason as Error)
            : new ReplicationError(`unexpected PUBLISH reply from replica ${view.replica}`, []);
        failures.push({ replica: view.replica, shard: view.shard, url: view.url, ok: false, error });
      }
    });
    if (answered > 0) return receivers;
    throw new ReplicationError(`${String(args[0])} reached no replica of its shard`, failures);
  });
}

/** The Client method of the leg's kind, with the listener in the form its `buffers` asks for. */
function subscribeOn(client: Client, leg: Leg): Promise<Subscription> {
  const target = leg.target;
  if (target.buffers) {
    const listener = target.listener;
    if (leg.kind === 'pattern') return client.psubscribe(leg.name, listener, { buffers: true });
    const channelListener: MessageListener<Buffer> = (message, channel) =>
      listener(message, channel, channel);
    return leg.kind === 'shard'
      ? client.ssubscribe(leg.name, channelListener, { buffers: true })
      : client.subscribe(leg.name, channelListener, { buffers: true });
  }
  const listener = target.listener;
  if (leg.kind === 'pattern') return client.psubscribe(leg.name, listener);
  const channelListener: MessageListener<string> = (message, channel) => listener(message, channel, channel);
  return leg.kind === 'shard'
    ? client.ssubscribe(leg.name, channelListener)
    : client.subscribe(leg.name, channelListener);
}

function noop(): void {}
