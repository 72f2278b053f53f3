import { InvalidArgumentError } from '../errors';
import { parseRedisUrl, redactUrl, type ClientOptions } from '../connection/options';

const DEFAULT_SENTINEL_PORT = 26379;

/** One sentinel to ask. Its credentials are not enumerable, so no log or inspection shows them. */
export interface SentinelEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/** What a Client given `sentinels` needs to find its server: validated once, at construction. */
export interface SentinelConfig {
  readonly masterName: string;
  readonly role: 'master' | 'replica';
  /** Asked in this order; a sentinel that answered moves to the front, and new ones join at the end. */
  readonly sentinels: SentinelEndpoint[];
  /** For sentinels found later through SENTINEL sentinels, which carry no credentials of their own. */
  readonly defaultUsername: string | undefined;
  readonly defaultPassword: string | undefined;
}

/** `host:port`, with IPv6 in brackets: how messages name a server. Never credentials. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function endpoint(
  host: string,
  port: number,
  tls: boolean,
  username: string | undefined,
  password: string | undefined,
): SentinelEndpoint {
  const entry = { host, port, tls, username } as SentinelEndpoint;
  Object.defineProperty(entry, 'password', { value: password, enumerable: false });
  return entry;
}

/**
 * Validates the sentinel options. The sentinels' credentials come from each URL, else from
 * `sentinelUsername` / `sentinelPassword`: never from `username` / `password`, which are the data
 * servers'. Returns null when `sentinels` is not given.
 */
export function sentinelConfig(options: ClientOptions | undefined): SentinelConfig | null {
  if (options === undefined || options.sentinels === undefined) {
    for (const name of ['masterName', 'role', 'sentinelUsername', 'sentinelPassword'] as const) {
      if (options?.[name] !== undefined) throw new InvalidArgumentError(`${name} needs the sentinels option`);
    }
    return null;
  }
  const { sentinels, masterName, role = 'master', sentinelUsername, sentinelPassword } = options;
  if (!Array.isArray(sentinels) || sentinels.length === 0) {
    throw new InvalidArgumentError('sentinels must be a non-empty array of redis:// URLs');
  }
  if (typeof masterName !== 'string' || masterName === '') {
    throw new InvalidArgumentError('masterName must name the master the sentinels monitor');
  }
  if (role !== 'master' && role !== 'replica') {
    throw new InvalidArgumentError(`role must be 'master' or 'replica', not ${String(role)}`);
  }
  for (const [name, value] of [
    ['sentinelUsername', sentinelUsername],
    ['sentinelPassword', sentinelPassword],
  ] as const) {
    if (value !== undefined && typeof value !== 'string')
      throw new InvalidArgumentError(`${name} must be a string`);
  }
  const endpoints = sentinels.map((url) => {
    const parsed = parseRedisUrl(url);
    if (parsed.db !== undefined) {
      throw new InvalidArgumentError(
        `a sentinel URL names no database: ${redactUrl(url)}; use the db option`,
      );
    }
    // A sentinel's own port is 26379, not Redis's 6379, when the URL names none.
    const port = new URL(url).port === '' ? DEFAULT_SENTINEL_PORT : parsed.port;
    return endpoint(
      parsed.host,
      port,
      parsed.tls,
      parsed.username ?? sentinelUsername,
      parsed.password ?? sentinelPassword,
    );
  });
  const config = {
    masterName,
    role,
    sentinels: endpoints,
    defaultUsername: sentinelUsername,
  } as SentinelConfig;
  Object.defineProperty(config, 'defaultPassword', { value: sentinelPassword, enumerable: false });
  return config;
}
