import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, ReplyError } from '../errors';
import { RespDecoder, type ReplySink } from '../resp/decoder';
import { encodeCommand } from '../resp/encoder';
import type { RespValue } from '../resp/types';
import { hostPort, type SentinelEndpoint } from './config';

const MIN_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;
/** A sentinel that accepts but never answers AUTH or PSUBSCRIBE is left after this long. */
const SUBSCRIBE_TIMEOUT_MS = 2_000;

export interface SubscriberEvents {
  /** A sentinel published `payload` on `channel` (`+switch-master`, `-failover-abort-…`…). */
  onEvent(channel: string, payload: string): void;
  /** The subscription failed or was lost; it is retried. */
  onError(error: Error): void;
}

/**
 * One sentinel's event stream: a RESP2 socket of its own that authenticates, PSUBSCRIBEs to every
 * channel, and hands each message on. Sentinels publish events on their own, so the one running a
 * failover is the only one to announce its early steps: a Client keeps one of these per sentinel.
 * It reconnects with backoff until `close()`. Its socket and timers never keep the process alive.
 */
export class SentinelSubscriber implements ReplySink {
  private socket: net.Socket | null = null;
  private readonly decoder = new RespDecoder(this);
  private retryTimer: NodeJS.Timeout | null = null;
  private subscribeTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** Replies still owed for AUTH and PSUBSCRIBE on the current socket. */
  private owed = 0;
  /** The current socket has confirmed its subscription. */
  subscribed = false;
  readonly address: string;

  constructor(
    readonly sentinel: SentinelEndpoint,
    private readonly events: SubscriberEvents,
  ) {
    this.address = hostPort(sentinel.host, sentinel.port);
    this.open();
  }

  close(): void {
    this.closed = true;
    this.clearTimers();
    this.socket?.destroy();
    this.socket = null;
  }

  wantsBuffers(): boolean {
    return false;
  }

  onReply(value: RespValue): void {
    if (value instanceof ReplyError) return this.fail(new ConnectionError(this.refused(value), false));
    if (this.owed > 0) {
      this.owed--;
      if (this.owed === 0) this.onSubscribed();
      return;
    }
    // ['pmessage', pattern, channel, payload]
    if (Array.isArray(value) && value[0] === 'pmessage' && value.length === 4) {
      this.events.onEvent(String(value[2]), String(value[3]));
    }
  }

  onPush(): void {}

  private open(): void {
    if (this.closed) return;
    this.decoder.reset();
    this.subscribed = false;
    const { host, port, username, password } = this.sentinel;
    const socket = this.sentinel.tls
      ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined })
      : net.connect({ host, port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    const commands: Buffer[] = [];
    if (password !== undefined) {
      commands.push(
        encodeCommand(username === undefined ? ['AUTH', password] : ['AUTH', username, password]),
      );
    }
    commands.push(encodeCommand(['PSUBSCRIBE', '*']));
    this.owed = commands.length;
    socket.once(this.sentinel.tls ? 'secureConnect' : 'connect', () => {
      if (this.socket === socket) socket.write(Buffer.concat(commands));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      try {
        this.decoder.feed(chunk);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket)
        this.fail(new ConnectionError(`sentinel ${this.address} closed the connection`, false));
    });
    this.subscribeTimer = setTimeout(() => {
      this.subscribeTimer = null;
      if (!this.subscribed) {
        this.fail(new ConnectionError(`sentinel ${this.address} did not confirm PSUBSCRIBE in time`, false));
      }
    }, SUBSCRIBE_TIMEOUT_MS);
    this.subscribeTimer.unref();
  }

  private onSubscribed(): void {
    this.subscribed = true;
    this.failures = 0;
    if (this.subscribeTimer !== null) clearTimeout(this.subscribeTimer);
    this.subscribeTimer = null;
  }

  private fail(error: Error): void {
    const socket = this.socket;
    if (socket === null || this.closed) return;
    this.socket = null;
    this.subscribed = false;
    socket.destroy();
    this.clearTimers();
    // Told once per outage, not at every retry of a sentinel that stays down.
    if (this.failures === 0) this.events.onError(error);
    if (this.closed) return;
    this.failures++;
    const ceiling = Math.min(MAX_RETRY_MS, MIN_RETRY_MS * 2 ** Math.min(this.failures - 1, 10));
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = null;
        this.open();
      },
      ceiling / 2 + Math.random() * (ceiling / 2),
    );
    this.retryTimer.unref();
  }

  /** A refusal names the sentinel and the step, never the credentials the server may echo. */
  private refused(error: ReplyError): string {
    const password = this.sentinel.password;
    const said = password ? error.message.split(password).join('***') : error.message;
    return `sentinel ${this.address} refused the event subscription: ${said}`;
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.subscribeTimer !== null) clearTimeout(this.subscribeTimer);
    this.retryTimer = this.subscribeTimer = null;
  }
}
