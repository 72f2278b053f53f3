import { Connection } from '../connection/connection';
import type { ResolvedOptions } from '../connection/options';
import { CommandFlags } from '../connection/pending-command';
import { MonitorFrames } from '../connection/reply-modes';
import { InvalidArgumentError } from '../errors';
import { dedicatedOptions } from './dedicated-options';

/** One command the server ran, as MONITOR reports it. */
export interface MonitorEvent {
  /** Unix time in seconds, with microseconds. */
  time: number;
  /** The database the command ran in. */
  db: number;
  /** The client that sent it (`127.0.0.1:50312`), or `lua` / `unix:…`. */
  source: string;
  /** The command and its arguments, unescaped. */
  args: string[];
  /** The line as the server sent it. */
  raw: string;
}

/** Called with each command the server runs while a MONITOR is on. */
export type MonitorListener = (event: MonitorEvent) => void;

/** A running MONITOR; `stop()` closes its connection. */
export interface Monitor {
  /** Ends the MONITOR and closes its dedicated connection; resolves once it is closed. */
  stop(): Promise<void>;
}

export interface MonitorEvents {
  onError(error: Error): void;
  /** The monitor ended, by stop() or a lost connection. */
  onEnd(monitor: Monitor): void;
}

/**
 * MONITOR on a connection of its own: no reconnect (a new socket would not be monitoring) and no
 * heartbeat (its PONG would be indistinguishable from the stream). A lost connection ends the monitor
 * and is reported as an error.
 */
export function startMonitor(
  resolved: ResolvedOptions,
  listener: unknown,
  events: MonitorEvents,
): Promise<Monitor> {
  if (typeof listener !== 'function') {
    return Promise.reject(new InvalidArgumentError('monitor needs a listener function'));
  }
  const deliver = listener as MonitorListener;
  let stopping = false;
  const connection = new Connection(
    dedicatedOptions(resolved),
    {
      onReady: noop,
      onError: (error) => {
        if (!stopping) events.onError(error);
      },
      onReconnecting: noop,
      onClose: noop,
      onEnd: () => events.onEnd(monitor),
      onPush: noop,
    },
    (sink) =>
      new MonitorFrames(sink, (line) => {
        try {
          deliver(parseMonitorLine(line));
        } catch (error) {
          events.onError(error instanceof Error ? error : new Error(String(error)));
        }
      }),
  );
  const monitor: Monitor = {
    stop: () => {
      stopping = true;
      connection.disconnect();
      return Promise.resolve();
    },
  };
  return connection.send(['MONITOR'], CommandFlags.None).then(
    () => monitor,
    (error: Error) => {
      stopping = true;
      connection.disconnect();
      throw error;
    },
  );
}

const LINE = /^(\d+\.\d+) \[(\d+) ([^\]]*)\] ?(.*)$/s;

/** Parses `1700000000.123456 [0 127.0.0.1:50312] "SET" "k" "v\n"`; arguments are C-escaped by Redis. */
export function parseMonitorLine(raw: string): MonitorEvent {
  const match = LINE.exec(raw);
  if (match === null) return { time: NaN, db: -1, source: '', args: [], raw };
  return {
    time: Number(match[1]),
    db: Number(match[2]),
    source: match[3] as string,
    args: quotedArgs(match[4] as string),
    raw,
  };
}

const ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, '"': 34, '\\': 92 };

/**
 * The quoted arguments of a MONITOR line. Redis writes each byte outside printable ASCII as \xHH, so
 * bytes are gathered and read as UTF-8 at the end: an 'é' arrives as "\xc3\xa9".
 */
function quotedArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    const bytes: number[] = [];
    i++;
    while (i < text.length && text[i] !== '"') {
      const code = text.charCodeAt(i);
      if (code === 92 && i + 1 < text.length) {
        const next = text[i + 1] as string;
        const hex = next === 'x' ? Number.parseInt(text.slice(i + 2, i + 4), 16) : NaN;
        if (!Number.isNaN(hex)) {
          bytes.push(hex);
          i += 4;
        } else {
          bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
          i += 2;
        }
        continue;
      }
      bytes.push(code);
      i++;
    }
    args.push(Buffer.from(bytes).toString());
    i++;
  }
  return args;
}

function noop(): void {}
