import { InvalidArgumentError } from '../errors';
import type { ClientOptions } from './options';

/**
 * Every ClientOptions key. A Record so the compiler fails when an option is added without it: a key
 * not listed would be refused at runtime.
 */
const CLIENT_OPTION_NAMES: Record<keyof ClientOptions, true> = {
  protocol: true,
  name: true,
  username: true,
  password: true,
  db: true,
  commandTimeout: true,
  connectTimeout: true,
  stallTimeout: true,
  heartbeatInterval: true,
  reconnect: true,
  maxPending: true,
  maxPendingBytes: true,
  offlineQueue: true,
  maxOfflineQueue: true,
  tls: true,
  limits: true,
  pool: true,
  pubsub: true,
  sentinels: true,
  masterName: true,
  role: true,
  sentinelUsername: true,
  sentinelPassword: true,
  cache: true,
  readOnly: true,
  tracing: true,
};

/** Where the server goes, in the peers' option names: the URL says it here. */
const ADDRESS_KEYS = new Set(['url', 'host', 'port', 'path', 'socket']);

/**
 * Refuses a key ClientOptions does not have. From JavaScript, or through a cast, `{ url }` (node-redis)
 * or `{ host, port }` (ioredis) would otherwise be ignored, and the Client would reach 127.0.0.1:6379,
 * another server than the caller meant.
 */
export function checkOptionNames(options: object): void {
  for (const key of Object.keys(options)) {
    if (Object.prototype.hasOwnProperty.call(CLIENT_OPTION_NAMES, key)) continue;
    throw new InvalidArgumentError(
      ADDRESS_KEYS.has(key)
        ? `${key} is not a Client option: give the server as a URL, the first argument: ` +
            `new Client('redis://host:port/db', options)`
        : `${key} is not a Client option`,
    );
  }
}
