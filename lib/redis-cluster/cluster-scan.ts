import { parsePage, sendPage, type ScanConnection, type ScanPlan, type ScanRequest } from '../client/scan';
import { CommandFlags } from '../connection/pending-command';
import { ConnectionError, InvalidArgumentError, TimeoutError } from '../errors';
import type { CommandArg, RespValue } from '../resp/types';
import type { ClusterNode } from './node';

/** What a cluster-wide SCAN needs of the RedisCluster. */
export interface ClusterScanHost {
  /** Resolves once the slot map is loaded (connect() when it never was), as a first keyed command waits. */
  mapLoaded(): Promise<void>;
  /** The masters serving slots now: the scan visits each, one after the other. */
  masters(): ClusterNode[];
  /**
   * The live master of `slot` once the slot map names one (its replica promoted, or the master back),
   * reloading the map while it waits; rejects with a typed error when none comes within the deadline.
   */
  masterAfterLoss(slot: number): Promise<ClusterNode>;
  /** How often one master's part of the scan may start over before its error is the caller's. */
  readonly maxRestarts: number;
}

/**
 * SCAN over every master. A SCAN cursor belongs to one server process, so a master lost mid-scan cannot
 * be resumed where it was: its part starts over from cursor 0 on the master that serves its slots then
 * (the promoted replica after a failover). Keys of that part may come twice; a key present for the
 * whole scan still comes at least once, which is SCAN's own guarantee. Nothing is remembered of what
 * was yielded, so memory does not grow with the keyspace.
 */
export async function* clusterScan<T>(
  host: ClusterScanHost,
  request: ScanRequest<T>,
): AsyncGenerator<T, void, undefined> {
  if (request instanceof InvalidArgumentError) throw request;
  // Before connect(), no master is known: the scan would end at once, as if the cluster held no key.
  await host.mapLoaded();
  for (const first of host.masters()) {
    // The part is known by a slot of its own: whoever serves that slot later serves the part.
    const slot = first.ranges[0]?.[0];
    if (slot === undefined) continue;
    let node = first;
    for (let restarts = 0; ; restarts++) {
      try {
        yield* scanNode(node, request);
        break;
      } catch (error) {
        const lost = error instanceof ConnectionError || error instanceof TimeoutError;
        if (!lost || restarts >= host.maxRestarts) throw error;
        node = await host.masterAfterLoss(slot);
      }
    }
  }
}

/** One node's keys, from cursor 0 until it says 0 again; over again when its connection was replaced. */
async function* scanNode<T>(node: ClusterNode, plan: ScanPlan<T>): AsyncGenerator<T, void, undefined> {
  const client = node.client;
  let epoch = client.stats().reconnects;
  let cursor = '0';
  for (;;) {
    const page = parsePage(await pageOrLoss(node, sendPage(client, plan, cursor)));
    const now = client.stats().reconnects;
    if (now !== epoch) {
      epoch = now;
      cursor = '0';
      continue;
    }
    for (const item of plan.read(page.items)) yield item;
    if (page.cursor === '0') return;
    cursor = page.cursor;
  }
}

/**
 * The page, or a ConnectionError as soon as the node is lost: its Client would keep the page in its
 * offline queue until commandTimeout, while the scan can go on elsewhere (a failover) at once.
 */
function pageOrLoss(node: ClusterNode, page: Promise<RespValue>): Promise<RespValue> {
  const lostError = (): ConnectionError =>
    new ConnectionError(`lost ${node.url} during a scan: its part of the scan starts over`, false);
  if (node.down) {
    page.catch(noop);
    return Promise.reject(lostError());
  }
  return new Promise<RespValue>((resolve, reject) => {
    const client = node.client;
    const lost = (): void => {
      done();
      page.catch(noop);
      reject(lostError());
    };
    const done = (): void => {
      client.off('reconnecting', lost);
      client.off('end', lost);
    };
    client.once('reconnecting', lost);
    client.once('end', lost);
    page.then(
      (reply) => {
        done();
        resolve(reply);
      },
      (error: unknown) => {
        done();
        reject(error);
      },
    );
  });
}

function noop(): void {}

/** Sends one page of a per-key scan by its key's slot, and tells `scan` which node answered it. */
export type SlotScanSend = (
  args: readonly CommandArg[],
  flags: CommandFlags,
  scan: SlotScanConnection,
) => Promise<RespValue>;

/**
 * What a per-key scan (HSCAN, SSCAN, ZSCAN) of a RedisCluster runs on: each page goes by the key's slot,
 * following MOVED and ASK. A cursor is valid only on the server process and socket that gave it, so when
 * another node answers (the slot moved) or the node's socket was replaced, `reconnects` changes, which
 * makes scanConnection drop that page and start over from cursor 0: elements may come twice, and every
 * one present for the whole scan comes at least once.
 */
export class SlotScanConnection implements ScanConnection {
  private node: ClusterNode | null = null;
  private socket = 0;
  private epoch = 0;

  constructor(private readonly send: SlotScanSend) {}

  sendCommand(args: readonly CommandArg[], flags: CommandFlags = CommandFlags.ReadOnly): Promise<RespValue> {
    return this.send(args, flags, this);
  }

  stats(): { readonly reconnects: number } {
    return { reconnects: this.epoch };
  }

  /** `node` answered the last page sent. */
  answered(node: ClusterNode): void {
    // Unchanged since the previous answer, the socket sent and answered this page too.
    const socket = node.client.stats().reconnects;
    if (this.node !== null && (node !== this.node || socket !== this.socket)) this.epoch++;
    this.node = node;
    this.socket = socket;
  }
}
