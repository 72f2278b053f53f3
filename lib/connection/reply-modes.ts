import type { ReplySink } from '../resp/decoder';
import type { CommandArg, RespValue } from '../resp/types';

/** The command the next reply answers, as much of it as a reply mode needs. */
export interface AwaitedCommand {
  readonly name: string;
  /** Kept after the write for read-only commands, which the (un)subscribe commands are. */
  readonly args: readonly CommandArg[];
}

/** A connection as its reply mode sees it: where replies go, and which command the next one answers. */
export interface FifoSink extends ReplySink {
  awaited(): AwaitedCommand | null;
}

/** A message of a subscribed connection: `message`/`smessage` [kind, channel, payload], `pmessage` [kind, pattern, channel, payload]. */
export type PubSubMessage = RespValue[];

/** What a subscriber connection delivers besides replies. */
export interface SubscriberHooks {
  /** Strings of the next frame as Buffers: true while some listener wants Buffers. */
  wantsBuffers(): boolean;
  onMessage(frame: PubSubMessage): void;
  /**
   * The server ended a shard channel's subscription by itself: Redis 7 sends a SUNSUBSCRIBE of its own
   * to the subscribers of a shard channel whose slot left the node.
   */
  onShardDropped(channel: string): void;
}

const enum FrameKind {
  Other,
  Message,
  /** A (un)subscribe confirmation: one per channel, each answering one command of its own. */
  Confirmation,
  /** A SUNSUBSCRIBE confirmation, or the server's own notice that a shard channel is gone. */
  ShardUnsubscribe,
}

/** Reads an aggregate's first element as a pub/sub kind without decoding anything else. */
function kindOf(frame: RespValue[]): FrameKind {
  if (frame.length < 3) return FrameKind.Other;
  const head = frame[0];
  const word =
    typeof head === 'string'
      ? head
      : Buffer.isBuffer(head) && head.length <= 12
        ? head.toString('latin1')
        : null;
  switch (word) {
    case 'message':
    case 'pmessage':
    case 'smessage':
      return FrameKind.Message;
    case 'subscribe':
    case 'psubscribe':
    case 'ssubscribe':
    case 'unsubscribe':
    case 'punsubscribe':
      return FrameKind.Confirmation;
    case 'sunsubscribe':
      return FrameKind.ShardUnsubscribe;
    default:
      return FrameKind.Other;
  }
}

function text(value: RespValue | CommandArg | undefined): string | null {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString() : null;
}

/**
 * The shard channel a sunsubscribe frame drops when no command asked for it, or null when it answers the
 * FIFO's head: that is a SUNSUBSCRIBE of the same channel (the subscriber sends one channel per command;
 * one without a channel takes any). Redis answers in order, so a reply always meets its command at the
 * head, and a frame that does not is the server's own notice, which must not answer another command
 * (a heartbeat PING in flight, say).
 */
function serverInitiated(frame: RespValue[], connection: FifoSink): string | null {
  const channel = text(frame[1]);
  const head = connection.awaited();
  if (head !== null && head.name.length === 12 && head.name.toUpperCase() === 'SUNSUBSCRIBE') {
    if (head.args.length < 2 || text(head.args[1]) === channel) return null;
  }
  return channel;
}

/**
 * The subscriber mode of a connection. Messages (RESP2 arrays or RESP3 pushes) go to the hooks; every
 * other frame answers the head of the FIFO, as on any connection: the handshake's replies, the PING
 * (a subscribed RESP2 connection answers it with ['pong', '']), and each (un)subscribe confirmation.
 * For the last to hold, the subscriber sends one channel per command, so N channels are N commands
 * and N confirmations, matched one to one and in order. The exception is a sunsubscribe the server
 * sends by itself (see serverInitiated): it goes to `onShardDropped`, and answers nothing.
 */
export class SubscriberFrames implements ReplySink {
  constructor(
    private readonly connection: FifoSink,
    private readonly hooks: SubscriberHooks,
  ) {}

  wantsBuffers(): boolean {
    return this.hooks.wantsBuffers();
  }

  onReply(value: RespValue): void {
    if (Array.isArray(value)) {
      const kind = kindOf(value);
      if (kind === FrameKind.Message) return this.hooks.onMessage(value);
      if (kind === FrameKind.ShardUnsubscribe) return this.confirmOrDrop(value);
    }
    this.connection.onReply(value);
  }

  onPush(frame: RespValue[]): void {
    const kind = kindOf(frame);
    if (kind === FrameKind.Message) this.hooks.onMessage(frame);
    else if (kind === FrameKind.Confirmation) this.connection.onReply(frame);
    else if (kind === FrameKind.ShardUnsubscribe) this.confirmOrDrop(frame);
    else this.connection.onPush(frame);
  }

  private confirmOrDrop(frame: RespValue[]): void {
    const dropped = serverInitiated(frame, this.connection);
    if (dropped === null) this.connection.onReply(frame);
    else this.hooks.onShardDropped(dropped);
  }
}

/**
 * The opt-in RESP3 form of subscriber mode on the shared connection (`pubsub: 'shared'`): replies are
 * left alone, since under RESP3 a message is always a push frame and a reply never is; pushes that are
 * messages go to `onMessage`, confirmations answer their (un)subscribe command in the FIFO, and the
 * rest (invalidations…) are the connection's. Installed only when chosen, so the default shared
 * connection's decoder still feeds the connection directly.
 */
export class SharedSubscriberFrames implements ReplySink {
  constructor(
    private readonly connection: FifoSink,
    private readonly onMessage: (frame: PubSubMessage) => void,
    private readonly onShardDropped: (channel: string) => void,
  ) {}

  wantsBuffers(): boolean {
    return this.connection.wantsBuffers();
  }

  onReply(value: RespValue): void {
    this.connection.onReply(value);
  }

  onPush(frame: RespValue[]): void {
    const kind = kindOf(frame);
    if (kind === FrameKind.Message) this.onMessage(frame);
    else if (kind === FrameKind.Confirmation) this.connection.onReply(frame);
    else if (kind === FrameKind.ShardUnsubscribe) {
      const dropped = serverInitiated(frame, this.connection);
      if (dropped === null) this.connection.onReply(frame);
      else this.onShardDropped(dropped);
    } else this.connection.onPush(frame);
  }
}

/** A line of MONITOR's stream: `<unix time> [<db> <client>] "<command>" "<arg>"…`. */
const MONITOR_LINE = /^\d+\.\d+ \[/;

/**
 * The MONITOR mode of a connection: after MONITOR's +OK, the server streams one status line per
 * command it runs. A line goes to `onLine`; anything else (the handshake's replies, MONITOR's own OK)
 * answers the FIFO. Told apart by shape, since a line may arrive in the same chunk as the OK.
 */
export class MonitorFrames implements ReplySink {
  constructor(
    private readonly connection: ReplySink,
    private readonly onLine: (line: string) => void,
  ) {}

  wantsBuffers(): boolean {
    return false;
  }

  onReply(value: RespValue): void {
    if (typeof value === 'string' && MONITOR_LINE.test(value)) this.onLine(value);
    else this.connection.onReply(value);
  }

  onPush(frame: RespValue[]): void {
    this.connection.onPush(frame);
  }
}
