import { CommandFlags } from '../connection/pending-command';
import { ConnectionError } from '../errors';
import { asError } from './outcome-kind';
import type { HealthPolicy, ServerNode } from './server-node';

export interface HealthListener {
  onDown(node: ServerNode, reason: Error): void;
  onUp(node: ServerNode): void;
  onClientError(node: ServerNode, error: Error): void;
}

/**
 * Marks servers down and up.
 *
 * Down: after `downAfter` consecutive failures. Command outcomes count (ServerNode), and so does every
 * socket the Client loses, which is how missed heartbeats, stalls and refused reconnects arrive.
 *
 * Up: only after the server answers something, typically a probe. A Client's 'ready' is not enough
 * on its own: without a handshake to run, 'ready' means only that TCP connected, and the kernel
 * still accepts connections for a SIGSTOPped redis-server. So 'ready' triggers a probe instead.
 */
export class HealthMonitor implements HealthPolicy {
  private readonly nodes: ServerNode[] = [];
  private probeTimer: NodeJS.Timeout | null = null;
  private downCount = 0;
  private stopped = false;

  constructor(
    readonly downAfter: number,
    private readonly probeInterval: number,
    private readonly listener: HealthListener,
  ) {}

  watch(node: ServerNode): void {
    this.nodes.push(node);
    let socketError: Error | null = null;
    const client = node.client;
    client.on('error', (error) => {
      socketError = error;
      this.listener.onClientError(node, error);
    });
    client.on('close', () => {
      node.connected = false;
      const error = socketError ?? new ConnectionError(`the connection to ${node.url} closed`, false);
      socketError = null;
      if (!this.stopped) node.failed(error);
    });
    client.on('ready', () => {
      node.connected = true;
      if (!node.up) this.probe(node);
    });
    client.on('end', () => {
      // The Client gave up reconnecting (or was told not to): nothing will bring this server back.
      if (!this.stopped)
        this.markDown(node, new ConnectionError(`the client for ${node.url} stopped reconnecting`, false));
    });
  }

  markDown(node: ServerNode, reason: Error): void {
    if (!node.up || this.stopped) return;
    node.up = false;
    this.downCount++;
    if (this.probeTimer === null) {
      this.probeTimer = setInterval(this.probeDown, this.probeInterval);
      // Probing is background work: it must not keep a process alive by itself.
      this.probeTimer.unref();
    }
    this.listener.onDown(node, reason);
  }

  markUp(node: ServerNode): void {
    if (node.up || this.stopped) return;
    node.up = true;
    node.consecutiveFailures = 0;
    this.downCount--;
    if (this.downCount === 0 && this.probeTimer !== null) {
      clearInterval(this.probeTimer);
      this.probeTimer = null;
    }
    this.listener.onUp(node);
  }

  /** Stops probing and marking; called when the cluster closes, so its own closing counts for nothing. */
  stop(): void {
    this.stopped = true;
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  private readonly probeDown = (): void => {
    for (const node of this.nodes) if (!node.up) this.probe(node);
  };

  /** One PING at a time per server, only over a ready connection (the Client reconnects on its own). */
  private probe(node: ServerNode): void {
    if (node.probing || this.stopped || !node.connected) return;
    node.probing = true;
    const startedAt = node.startTimer();
    node.client.sendCommand(['PING'], CommandFlags.None).then(
      () => {
        node.probing = false;
        node.answered(startedAt);
      },
      (error: unknown) => {
        node.probing = false;
        node.rejected(asError(error), startedAt);
      },
    );
  }
}
