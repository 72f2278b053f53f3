import type { Socket } from 'node:net';

/** The faults that apply to one direction of traffic. */
export interface LaneFaults {
  /** Latency added to every chunk, in ms. */
  delayMs: number;
  /** Swallow every byte. */
  blackhole: boolean;
  /** Largest write forwarded, in bytes; null forwards chunks as they came. */
  chunkSize: number | null;
}

/** What a lane asks its proxy, at the moment bytes are about to be forwarded. */
export interface LaneControl {
  faults(): Readonly<LaneFaults>;
  /**
   * How many of `length` bytes may still pass, and whether the connection must be cut once they have.
   * Consumes an armed `cutAfter` budget.
   */
  admit(length: number): { pass: number; cut: boolean };
  /** Counts bytes actually forwarded. */
  forwarded(length: number): void;
  /** Counts bytes a blackhole swallowed. */
  swallowed(length: number): void;
}

interface Piece {
  readonly data: Buffer;
  readonly dueAt: number;
  /** Produced by re-chunking: the next piece waits a turn of the event loop, so it arrives apart. */
  readonly split: boolean;
}

/**
 * Forwards one direction of a proxied connection (client→server or server→client), applying faults.
 * Chunks leave in arrival order: each is due `delayMs` after it arrived, and none overtakes the one
 * before it, so a shorter delay set later cannot reorder bytes.
 */
export class ProxyLane {
  private pending: Piece[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;
  private waitingForDrain = false;
  /** The source has ended: end the sink once everything queued is forwarded. */
  private ending = false;
  /** A blackhole swallowed bytes of this stream: what follows would not be the stream that was sent. */
  swallowedBytes = false;

  constructor(
    private readonly source: Socket,
    private readonly sink: Socket,
    private readonly control: LaneControl,
    private readonly onCut: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped) return;
    const faults = this.control.faults();
    if (faults.blackhole) {
      this.swallowedBytes = true;
      return this.control.swallowed(chunk.length);
    }
    const dueAt = Date.now() + faults.delayMs;
    const size = faults.chunkSize;
    if (size === null || chunk.length <= size) {
      this.pending.push({ data: chunk, dueAt, split: false });
    } else {
      for (let offset = 0; offset < chunk.length; offset += size) {
        this.pending.push({ data: chunk.subarray(offset, offset + size), dueAt, split: true });
      }
    }
    this.pump();
  }

  /** Passes the source's end on to the sink after the bytes still queued, so a delay loses nothing. */
  endWhenDrained(): void {
    this.ending = true;
    this.pump();
  }

  /** Drops whatever is still queued and forwards nothing more. */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    this.head = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private pump(): void {
    if (this.timer !== null || this.immediate !== null) return;
    while (!this.stopped && this.head < this.pending.length) {
      const piece = this.pending[this.head] as Piece;
      const wait = piece.dueAt - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
        return;
      }
      this.head += 1;
      this.forward(piece.data);
      if (piece.split && this.head < this.pending.length) {
        this.immediate = setImmediate(() => {
          this.immediate = null;
          this.pump();
        });
        break;
      }
    }
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
      if (this.ending && !this.stopped) {
        this.stopped = true;
        // Through a blackhole the end is lost like any byte: the other side never learns of it.
        if (!this.control.faults().blackhole) this.sink.end();
      }
    } else if (this.head > 1024 && this.head * 2 > this.pending.length) {
      // Under steady delayed traffic the queue never empties; drop the forwarded prefix now and then.
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }

  private forward(data: Buffer): void {
    // A blackhole switched on while bytes were delayed swallows them too, as a dead link would.
    if (this.stopped) return;
    if (this.control.faults().blackhole) {
      this.swallowedBytes = true;
      return this.control.swallowed(data.length);
    }
    const { pass, cut } = this.control.admit(data.length);
    if (pass > 0) {
      const writable = this.sink.write(pass === data.length ? data : data.subarray(0, pass));
      this.control.forwarded(pass);
      if (!writable) this.applyBackpressure();
    }
    if (cut) {
      this.stop();
      this.onCut();
    }
  }

  private applyBackpressure(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.source.pause();
    this.sink.once('drain', () => {
      this.waitingForDrain = false;
      this.source.resume();
    });
  }
}
