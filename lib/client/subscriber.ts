import { Connection } from '../connection/connection';
import type { ResolvedOptions } from '../connection/options';
import { CommandFlags } from '../connection/pending-command';
import {
  SharedSubscriberFrames,
  SubscriberFrames,
  type FifoSink,
  type PubSubMessage,
} from '../connection/reply-modes';
import type { ReplySink } from '../resp/decoder';
import { ConnectionClosedError, ConnectionError, InvalidArgumentError } from '../errors';
import type { RespValue } from '../resp/types';

/** A channel's listener: the message, then the channel it came on. */
export type MessageListener<T extends string | Buffer = string> = (message: T, channel: T) => void;
/** A pattern's listener: the message, the channel it came on, and the pattern that matched it. */
export type PatternListener<T extends string | Buffer = string> = (
  message: T,
  channel: T,
  pattern: T,
) => void;

/** How a subscription delivers its messages. */
export interface SubscribeOptions {
  /** Deliver message, channel (and pattern) as Buffers, byte for byte. */
  buffers?: boolean;
}

/** The subscription one subscribe call made; unsubscribe() removes its listener from each of its channels. */
export interface Subscription {
  /** The channels (or patterns, or shard channels) this call subscribed to. */
  readonly channels: readonly string[];
  /** Resolves once the server confirmed every channel that has no listener left. Idempotent. */
  unsubscribe(): Promise<void>;
}

/** Channels, patterns and shard channels: each kind has its own commands and its own namespace. */
export type SubscriptionKind = 'channel' | 'pattern' | 'shard';

const COMMANDS: Record<SubscriptionKind, readonly [subscribe: string, unsubscribe: string]> = {
  channel: ['SUBSCRIBE', 'UNSUBSCRIBE'],
  pattern: ['PSUBSCRIBE', 'PUNSUBSCRIBE'],
  shard: ['SSUBSCRIBE', 'SUNSUBSCRIBE'],
};

/**
 * (Un)subscribing is idempotent, so it may be resent once after a lost connection: a subscribe cut
 * short by a reconnect then resolves when the new socket confirms it instead of failing.
 */
const SUBSCRIPTION_FLAGS = CommandFlags.ReadOnly;

/** One subscribe call's listener, as it wants its strings. */
type Entry =
  | { readonly buffers: false; readonly listener: PatternListener<string> }
  | { readonly buffers: true; readonly listener: PatternListener<Buffer> };

export interface SubscriberEvents {
  /** Every channel, pattern and shard channel was subscribed again after a reconnect. */
  onResubscribed(): void;
  /** A socket failure of the subscriber connection, or a listener that threw. */
  onError(error: Error): void;
  /** The server ended this shard channel's subscription by itself (its slot moved): its listeners are dropped. */
  onShardDropped(channel: string): void;
}

/**
 * The Client's subscriptions, on one connection of their own: opened on first use, closed when the
 * last subscription ends, and subscribed again to everything after each reconnect. Commands on the
 * Client's shared connection never wait behind it.
 *
 * Every SUBSCRIBE carries one channel, so its single confirmation answers it (see SubscriberFrames),
 * and every subscribe call sends its channels even when already subscribed: its promise then resolves
 * only once the server has confirmed them, so a message published after it is delivered.
 */
export class Subscriber {
  private readonly registry: Record<SubscriptionKind, Map<string, Set<Entry>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  private connection: Connection | null = null;
  /** Entries that want Buffers: while any exists, frames are decoded as Buffers. */
  private bufferEntries = 0;
  /** (Un)subscribe commands not yet answered: the connection is not closed under them. */
  private pendingCommands = 0;
  private closed = false;
  /** With `pubsub: 'shared'` (RESP3 only): the Client's own connection, whose pushes carry messages. */
  private shared: Connection | null = null;
  private sharedReadyBefore = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly events: SubscriberEvents,
  ) {}

  /** The subscriber connection, or null when there is no subscription. */
  get active(): boolean {
    return this.connection !== null;
  }

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
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    if (this.shared !== null && options?.buffers === true) {
      return Promise.reject(
        new InvalidArgumentError(
          "{ buffers: true } needs the dedicated subscriber connection: with pubsub: 'shared', messages are decoded as the shared connection's replies are (text)",
        ),
      );
    }
    // Checked to be a function above; the overloads of the Client's methods type it by `buffers`.
    const entry: Entry =
      options?.buffers === true
        ? { buffers: true, listener: listener as PatternListener<Buffer> }
        : { buffers: false, listener: listener as PatternListener<string> };
    const registry = this.registry[kind];
    for (const channel of channels) {
      let entries = registry.get(channel);
      if (entries === undefined) registry.set(channel, (entries = new Set()));
      entries.add(entry);
      if (entry.buffers) this.bufferEntries++;
    }
    let removed = false;
    const remove = (): Promise<void> => {
      if (removed) return Promise.resolve();
      removed = true;
      return this.send(COMMANDS[kind][1], this.removeEntry(kind, channels, entry));
    };
    const subscription: Subscription = { channels, unsubscribe: remove };
    return this.send(COMMANDS[kind][0], channels).then(
      () => subscription,
      (error: Error) =>
        remove().then(
          () => Promise.reject(error),
          () => Promise.reject(error),
        ),
    );
  }

  /** Removes every listener of the given channels (all of this kind when none is given). */
  unsubscribe(kind: SubscriptionKind, names: unknown[]): Promise<void> {
    const registry = this.registry[kind];
    const channels = names.length === 0 ? [...registry.keys()] : channelList(names);
    if (channels instanceof InvalidArgumentError) return Promise.reject(channels);
    const emptied: string[] = [];
    for (const channel of channels) {
      const entries = registry.get(channel);
      if (entries === undefined) continue;
      for (const entry of entries) if (entry.buffers) this.bufferEntries--;
      registry.delete(channel);
      emptied.push(channel);
    }
    return this.send(COMMANDS[kind][1], emptied);
  }

  /**
   * Chooses the shared connection for subscriptions (`pubsub: 'shared'`): returns how its decoder's
   * frames are to be routed, then `useShared` hands the connection over once built.
   */
  sharedFrames(): (connection: FifoSink) => ReplySink {
    return (sink) =>
      new SharedSubscriberFrames(
        sink,
        (frame) => this.deliver(frame),
        (channel) => this.dropped(channel),
      );
  }

  useShared(connection: Connection): void {
    this.shared = connection;
  }

  /** The shared connection is ready: after a reconnect, what was subscribed is subscribed again. */
  sharedReady(): void {
    if (this.shared === null) return;
    if (this.sharedReadyBefore && this.connection === this.shared) this.resubscribe(this.shared);
    this.sharedReadyBefore = true;
  }

  /**
   * Leaves the server now (a Sentinel failover): the subscriber connection reconnects to the server
   * found then, and subscribes again there. The shared connection is the Client's to move.
   */
  reconnect(reason: Error): void {
    if (this.connection !== null && this.connection !== this.shared) this.connection.reconnect(reason);
  }

  /** Ends the subscriber connection with the Client: `quit` lets owed confirmations arrive first. */
  close(how: 'quit' | 'disconnect'): Promise<void> {
    this.closed = true;
    for (const registry of Object.values(this.registry)) registry.clear();
    this.bufferEntries = 0;
    const connection = this.connection;
    this.connection = null;
    // The shared connection is the Client's to close.
    if (connection === null || connection === this.shared) return Promise.resolve();
    if (how === 'quit') return connection.quit();
    connection.disconnect();
    return Promise.resolve();
  }

  /** Takes `entry` off each channel; returns the channels left with no listener, to unsubscribe. */
  private removeEntry(kind: SubscriptionKind, channels: readonly string[], entry: Entry): string[] {
    const registry = this.registry[kind];
    const emptied: string[] = [];
    for (const channel of channels) {
      const entries = registry.get(channel);
      if (entries === undefined || !entries.delete(entry)) continue;
      if (entry.buffers) this.bufferEntries--;
      if (entries.size === 0) {
        registry.delete(channel);
        emptied.push(channel);
      }
    }
    return emptied;
  }

  /** One command per channel; resolves when all are confirmed, then closes the connection if unused. */
  private send(command: string, channels: readonly string[]): Promise<void> {
    if (channels.length === 0) {
      this.closeIfUnused();
      return Promise.resolve();
    }
    if (this.closed) return Promise.reject(new ConnectionClosedError('the client is closed'));
    const connection = this.connection ?? this.open();
    this.pendingCommands += channels.length;
    const answered = (): void => {
      this.pendingCommands--;
    };
    const replies = channels.map((channel) => {
      const reply = connection.send([command, channel], SUBSCRIPTION_FLAGS);
      reply.then(answered, answered);
      return reply;
    });
    return Promise.all(replies).then(
      () => this.closeIfUnused(),
      (error: Error) => {
        this.closeIfUnused();
        throw error;
      },
    );
  }

  private closeIfUnused(): void {
    if (this.connection === null || this.pendingCommands > 0) return;
    for (const registry of Object.values(this.registry)) if (registry.size > 0) return;
    const connection = this.connection;
    this.connection = null;
    if (connection !== this.shared) void connection.quit();
  }

  private open(): Connection {
    if (this.shared !== null) return (this.connection = this.shared);
    let readyBefore = false;
    const connection: Connection = new Connection(
      subscriberOptions(this.options),
      {
        onReady: () => {
          if (readyBefore) this.resubscribe(connection);
          readyBefore = true;
        },
        onError: (error) => this.events.onError(error),
        onReconnecting: noop,
        onClose: noop,
        onEnd: () => {
          if (this.connection === connection) this.lost();
        },
        onPush: noop,
      },
      (sink) =>
        new SubscriberFrames(sink, {
          wantsBuffers: () => this.bufferEntries > 0,
          onMessage: (frame) => this.deliver(frame),
          onShardDropped: (channel) => this.dropped(channel),
        }),
    );
    this.connection = connection;
    return connection;
  }

  /**
   * The connection ended without being asked to (reconnecting gave up): its subscriptions are gone on
   * the server, so they are dropped here too, and said so, rather than kept as if still listening.
   */
  private lost(): void {
    this.connection = null;
    const dropped = Object.values(this.registry).reduce((sum, registry) => sum + registry.size, 0);
    for (const registry of Object.values(this.registry)) registry.clear();
    this.bufferEntries = 0;
    if (dropped > 0 && !this.closed) {
      this.events.onError(
        new ConnectionError(`the subscriber connection ended: ${dropped} subscription(s) dropped`, false),
      );
    }
  }

  /**
   * The server unsubscribed a shard channel by itself (Redis Cluster moved its slot to another node):
   * it is dropped here too, so a reconnect does not subscribe it again on a node that no longer serves
   * it, and said so. Nothing to do when its listeners were already being removed.
   */
  private dropped(channel: string): void {
    const entries = this.registry.shard.get(channel);
    if (entries === undefined) return;
    for (const entry of entries) if (entry.buffers) this.bufferEntries--;
    this.registry.shard.delete(channel);
    this.events.onShardDropped(channel);
    this.closeIfUnused();
  }

  /** After a reconnect: every channel of every kind again, then the event. */
  private resubscribe(connection: Connection): void {
    const replies: Promise<RespValue>[] = [];
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      for (const channel of this.registry[kind].keys()) {
        replies.push(connection.send([COMMANDS[kind][0], channel], SUBSCRIPTION_FLAGS));
      }
    }
    // A failure here means the socket was lost again: the next 'ready' resubscribes.
    Promise.all(replies).then(() => {
      if (this.connection === connection) this.events.onResubscribed();
    }, noop);
  }

  private deliver(frame: PubSubMessage): void {
    const patterned = frame.length === 4;
    const head = frame[0] as string | Buffer;
    const kind: SubscriptionKind = patterned ? 'pattern' : isShardMessage(head) ? 'shard' : 'channel';
    const name = frame[1] as string | Buffer;
    const entries = this.registry[kind].get(typeof name === 'string' ? name : name.toString());
    // A message that crossed an unsubscribe on the wire has nobody left to hear it.
    if (entries === undefined) return;
    const channel = (patterned ? frame[2] : frame[1]) as string | Buffer;
    const message = (patterned ? frame[3] : frame[2]) as string | Buffer;
    for (const entry of entries) {
      try {
        if (entry.buffers) entry.listener(asBuffer(message), asBuffer(channel), asBuffer(name));
        else entry.listener(asText(message), asText(channel), asText(name));
      } catch (error) {
        this.events.onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }
}

function isShardMessage(kind: string | Buffer): boolean {
  return typeof kind === 'string' ? kind === 'smessage' : kind[0] === 0x73; // 's'
}

function asBuffer(value: string | Buffer): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function asText(value: string | Buffer): string {
  return typeof value === 'string' ? value : value.toString();
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

/**
 * The Client's own options: same server, credentials, protocol and name; it reconnects (and then
 * resubscribes) and keeps its own heartbeat, whose PING a subscribed RESP2 server answers ['pong', ''].
 */
function subscriberOptions(resolved: ResolvedOptions): ResolvedOptions {
  const options: ResolvedOptions = { ...resolved };
  // Kept non-enumerable, as resolveOptions does, so no log or inspection shows it.
  Object.defineProperty(options, 'password', { value: resolved.password, enumerable: false });
  return options;
}

function noop(): void {}
