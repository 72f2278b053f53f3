import { Client } from '../client';
import type { ClientOptions } from '../connection/options';
import { addressKey, type NodeAddress } from './topology';

export type NodeRole = 'master' | 'replica';

/** What `nodes()` tells about one node. */
export interface RedisClusterNodeInfo {
  /** redis://host:port (rediss:// with TLS), never with credentials. */
  readonly url: string;
  readonly role: NodeRole;
  /** Slot ranges it serves as master, [first, last] inclusive; [] for a replica. */
  readonly slots: readonly (readonly [number, number])[];
  readonly up: boolean;
}

/** What `health()` tells about one node. */
export interface RedisClusterNodeHealth {
  readonly url: string;
  readonly role: NodeRole;
  readonly up: boolean;
  /** Errors its commands met, besides redirects and error replies. */
  readonly errors: number;
}

/** One node: its pipelined Client and what the slot map says of it. */
export class ClusterNode {
  readonly key: string;
  readonly host: string;
  readonly url: string;
  readonly client: Client;
  role: NodeRole = 'master';
  ranges: readonly (readonly [number, number])[] = [];
  /** Lost its connection and not ready again: not picked for reads, and its slots wait for a refresh. */
  down = false;
  errors = 0;

  constructor(
    address: NodeAddress,
    tls: boolean,
    options: ClientOptions,
    onLost: (node: ClusterNode) => void,
  ) {
    this.key = addressKey(address);
    this.host = address.host;
    this.url = `${tls ? 'rediss' : 'redis'}://${this.key}`;
    this.client = new Client(this.url, options);
    this.client.on('reconnecting', () => {
      if (this.down) return;
      this.down = true;
      onLost(this);
    });
    this.client.on('end', () => {
      if (this.down) return;
      this.down = true;
      onLost(this);
    });
    this.client.on('ready', () => {
      this.down = false;
    });
    // Errors reach callers through their commands; a listener keeps the Client from going unheard.
    this.client.on('error', () => {
      this.errors++;
    });
  }

  info(): RedisClusterNodeInfo {
    return {
      url: this.url,
      role: this.role,
      slots: this.ranges.map(([a, b]) => [a, b] as const),
      up: !this.down,
    };
  }

  health(): RedisClusterNodeHealth {
    return { url: this.url, role: this.role, up: !this.down, errors: this.errors };
  }
}
