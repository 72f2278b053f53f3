import { ResplineError } from '../errors';

/**
 * EmbeddedServer runs keyspace commands on ioredis-mock, an optional peer dependency: a production
 * install of respline does not bring it (nor ioredis, which ioredis-mock loads at require time). It is
 * required here on first use instead of at import, so `respline/testing` (FaultProxy, the reply
 * encoders) loads without it, and a missing package is reported by name with the command to install it.
 */

/** How to install what EmbeddedServer needs, quoted in the error. ioredis-mock 8 needs ioredis 5. */
export const TESTING_PEERS_INSTALL = 'npm install --save-dev ioredis-mock ioredis@5';

/** An optional peer dependency of `respline/testing` is not installed. */
export class MissingPeerDependencyError extends ResplineError {
  constructor(
    message: string,
    /** The package that could not be loaded, as named in its require (`ioredis-mock`, `ioredis`…). */
    readonly packageName: string,
    /** The command that installs every peer `respline/testing` needs. */
    readonly installCommand: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The part of an ioredis-mock instance MockBackend calls by name; other commands are looked up. */
export interface MockRedis {
  type(key: string): Promise<string>;
  get(key: string): Promise<string | null>;
  exists(...keys: string[]): Promise<number>;
  flushdb(): Promise<unknown>;
}

export type MockRedisConstructor = new (options: { host: string; db: number }) => MockRedis;

let mockConstructor: MockRedisConstructor | undefined;

/** ioredis-mock's constructor, loaded once; throws MissingPeerDependencyError when it cannot load. */
export function loadIoredisMock(): MockRedisConstructor {
  if (mockConstructor !== undefined) return mockConstructor;
  let exported: unknown;
  try {
    // A lazy require is the point: see the comment at the top of this file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exported = require('ioredis-mock');
  } catch (error) {
    throw missingPeer(error, 'ioredis-mock');
  }
  if (!isConstructor(exported)) {
    throw new ResplineError(
      'ioredis-mock did not export a constructor; respline/testing needs ioredis-mock 8',
    );
  }
  mockConstructor = exported;
  return mockConstructor;
}

/** The path of a data file shipped inside ioredis-mock, such as `data/command-info.json`. */
export function resolveIoredisMockFile(file: string): string {
  try {
    return require.resolve(`ioredis-mock/${file}`);
  } catch (error) {
    throw missingPeer(error, 'ioredis-mock');
  }
}

/** A MissingPeerDependencyError for a module-not-found failure; any other failure is passed on. */
function missingPeer(error: unknown, requested: string): unknown {
  if (!isModuleNotFound(error)) return error;
  // ioredis-mock itself loads ioredis at require time, so the package missing may be that one.
  const missing = missingPackage(error.message) ?? requested;
  return new MissingPeerDependencyError(
    `respline/testing's EmbeddedServer needs the optional peer dependencies ioredis-mock and ioredis 5, ` +
      `and ${missing} could not be loaded. Install them with: ${TESTING_PEERS_INSTALL}`,
    missing,
    TESTING_PEERS_INSTALL,
    { cause: error },
  );
}

function isModuleNotFound(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && error.code === 'MODULE_NOT_FOUND';
}

/** `Cannot find module 'ioredis/built/utils/index'` → `ioredis` (scoped names keep their scope). */
function missingPackage(message: string): string | undefined {
  const specifier = /Cannot find module '([^']+)'/.exec(message)?.[1];
  if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isConstructor(value: unknown): value is MockRedisConstructor {
  return typeof value === 'function';
}
