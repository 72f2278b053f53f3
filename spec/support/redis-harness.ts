import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ReplyError } from '../../lib/errors';
import type { RespValue } from '../../lib/resp/types';
import { RawClient, type RawArg } from './raw-client';
import { freeLoopbackPort } from '../../lib/testing/loopback';

/**
 * Spawns real `redis-server` processes for tests, on 127.0.0.1 and free ports (never 6379, where a
 * shared server runs). Every process started here is killed by `stopAll()` and, as a last resort, when
 * the test process exits.
 */

const REDIS_SERVER = 'redis-server';
const READY_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 5_000;
const READY_PROBE_TIMEOUT_MS = 1_000;
const STOP_GRACE_MS = 3_000;
const LOG_LINES_KEPT = 40;
const START_ATTEMPTS = 5;
const RESTART_ATTEMPTS = 50;

const run = promisify(execFile);

/** Paths of PEM files. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface StartRedisOptions {
  /** Sets `--requirepass`; `command()` then authenticates first, and `url` carries the password. */
  password?: string;
  /** Serve TLS only, with generated files (`true`) or the given ones. */
  tls?: boolean | TlsFiles;
  /** Extra redis-server arguments, such as `['--maxclients', '10']`. */
  args?: readonly string[];
  /**
   * Cluster mode: also listens on a cluster bus port of its own (`--cluster-port`), picked afresh with
   * the client port on each start attempt so a taken bus port is retried like a taken client port.
   */
  clusterBus?: boolean;
}

export interface RedisProcess {
  readonly port: number;
  /** The current process id; it changes on restart. */
  readonly pid: number;
  /** `redis://127.0.0.1:PORT`, `rediss://` with TLS, with `:password@` when one is set. */
  readonly url: string;
  readonly tls: TlsFiles | undefined;
  readonly running: boolean;
  /** Sends `signal` (SIGKILL by default) and waits for the process to exit. `restart()` can follow. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Shuts down (SIGTERM, then SIGKILL if needed), removes the data directory, forgets the process. */
  stop(): Promise<void>;
  /** SIGSTOP: the process keeps its sockets but answers nothing, like a hung server. */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Starts again on the same port with the same arguments (after killing it if it still runs). */
  restart(): Promise<void>;
  /** One command over a fresh connection of its own, for assertions (DBSIZE, GET…). */
  command(...args: RawArg[]): Promise<RespValue>;
  /** The last lines the server logged, for error messages. */
  logTail(): string;
}

/** redis-server exited because its port was taken. */
class PortBusyError extends Error {}

const live = new Set<RedisInstance>();
let exitHandlerInstalled = false;
/** Certificates generated once per test file for `tls: true`, in their own directory. */
let sharedTls: { dir: Promise<string>; files: Promise<TlsFiles> } | undefined;

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  installExitHandler();
  const tls = options.tls === true ? await generatedTlsFiles() : options.tls || undefined;
  for (let attempt = 1; ; attempt++) {
    const port = await freeLoopbackPort();
    const busArgs = options.clusterBus === true ? ['--cluster-port', String(await freeLoopbackPort())] : [];
    const instance = new RedisInstance(port, options.password, tls, [...busArgs, ...(options.args ?? [])]);
    try {
      await instance.launch();
      return instance;
    } catch (error) {
      // Another process can take a port between our probe and redis-server's bind; pick others.
      if (!(error instanceof PortBusyError) || attempt === START_ATTEMPTS) throw error;
    }
  }
}

/** After a test that paused or killed some of `servers`: each one running and reading commands again. */
export async function reviveAll(servers: readonly RedisProcess[]): Promise<void> {
  for (const server of servers) if (server.running) server.resume();
  await Promise.all(servers.filter((server) => !server.running).map((server) => server.restart()));
}

/** Stops every process started here and removes generated certificates. Call from afterAll. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((instance) => instance.stop()));
  const tls = sharedTls;
  sharedTls = undefined;
  if (tls !== undefined) await rm(await tls.dir, { recursive: true, force: true });
}

/** Writes a CA and a server certificate for 127.0.0.1 and localhost (in subjectAltName) into `dir`. */
export async function generateTlsFiles(dir: string): Promise<TlsFiles> {
  const files = {
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'server.crt'),
    key: join(dir, 'server.key'),
    csr: join(dir, 'server.csr'),
    extensions: join(dir, 'server.ext'),
  };
  // EC keys: generating RSA keys would cost a noticeable part of a test run.
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  // prettier-ignore
  await run('openssl', [
    'req', '-x509', ...ecKey, '-keyout', files.caKey, '-out', files.ca, '-days', '3650',
    '-subj', '/CN=respline test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // prettier-ignore
  await run('openssl', [
    'req', '-new', ...ecKey, '-keyout', files.key, '-out', files.csr, '-subj', '/CN=localhost',
  ]);
  await writeFile(
    files.extensions,
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  // prettier-ignore
  await run('openssl', [
    'x509', '-req', '-in', files.csr, '-CA', files.ca, '-CAkey', files.caKey,
    '-set_serial', `0x${Date.now().toString(16)}`, '-days', '3650', '-extfile', files.extensions,
    '-out', files.cert,
  ]);
  return { ca: files.ca, cert: files.cert, key: files.key };
}

/** Paths of a client certificate and its key, in PEM. */
export interface ClientCertificateFiles {
  cert: string;
  key: string;
}

/**
 * Writes a client certificate (extendedKeyUsage clientAuth), signed by the CA that `generateTlsFiles(dir)`
 * left in `dir`, as `<name>.crt` and `<name>.key`. For `--tls-auth-clients yes`. Call it after
 * `generateTlsFiles` on the same directory: it needs `ca.crt` and `ca.key` there.
 */
export async function generateClientCertificate(
  dir: string,
  name = 'client',
): Promise<ClientCertificateFiles> {
  const files = {
    ca: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, `${name}.crt`),
    key: join(dir, `${name}.key`),
    csr: join(dir, `${name}.csr`),
    extensions: join(dir, `${name}.ext`),
  };
  // prettier-ignore
  await run('openssl', [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', files.key, '-out', files.csr, '-subj', `/CN=respline test ${name}`,
  ]);
  await writeFile(
    files.extensions,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
      '',
    ].join('\n'),
  );
  // prettier-ignore
  await run('openssl', [
    'x509', '-req', '-in', files.csr, '-CA', files.ca, '-CAkey', files.caKey,
    '-set_serial', `0x${Date.now().toString(16)}1`, '-days', '3650', '-extfile', files.extensions,
    '-out', files.cert,
  ]);
  return { cert: files.cert, key: files.key };
}

class RedisInstance implements RedisProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private dataDir: string | null = null;
  private readonly log: string[] = [];
  private caBytes: Buffer | undefined;

  constructor(
    readonly port: number,
    private readonly password: string | undefined,
    readonly tls: TlsFiles | undefined,
    private readonly extraArgs: readonly string[],
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== null;
  }

  get url(): string {
    const auth = this.password === undefined ? '' : `:${encodeURIComponent(this.password)}@`;
    return `${this.tls === undefined ? 'redis' : 'rediss'}://${auth}127.0.0.1:${this.port}`;
  }

  logTail(): string {
    return this.log.join('\n');
  }

  async launch(): Promise<void> {
    // Only this launch's lines count when deciding why it failed.
    this.log.length = 0;
    this.dataDir ??= await mkdtemp(join(tmpdir(), 'respline-redis-'));
    if (this.tls !== undefined) this.caBytes ??= await readFile(this.tls.ca);
    const child = spawn(REDIS_SERVER, this.arguments(this.dataDir), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
      // A failed spawn (no redis-server binary) emits 'error' and no 'exit'.
      child.once('error', (error) => {
        this.remember(`spawn failed: ${error.message}`);
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.remember(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.remember(chunk.toString()));
    await this.waitUntilReady(child);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === null) return;
    child.kill(signal);
    // A stopped process only acts on a catchable signal once continued.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child !== null) {
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_GRACE_MS);
      await this.kill('SIGTERM');
      clearTimeout(timer);
    }
    live.delete(this);
    if (this.dataDir !== null) await rm(this.dataDir, { recursive: true, force: true });
    this.dataDir = null;
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill('SIGKILL');
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (error) {
        // The old process's socket, or a client's, can hold the port for a moment.
        if (!(error instanceof PortBusyError) || attempt === RESTART_ATTEMPTS) throw error;
        await sleep(100);
      }
    }
  }

  command(...args: RawArg[]): Promise<RespValue> {
    return this.query(args, COMMAND_TIMEOUT_MS);
  }

  private async query(args: RawArg[], timeoutMs: number): Promise<RespValue> {
    const client = await RawClient.connect(
      this.port,
      this.caBytes === undefined ? {} : { tls: { ca: this.caBytes } },
    );
    try {
      return await withTimeout(this.exchange(client, args), timeoutMs, `${String(args[0])} timed out`);
    } finally {
      client.destroy();
    }
  }

  private async exchange(client: RawClient, args: RawArg[]): Promise<RespValue> {
    if (this.password !== undefined) {
      const auth = await client.command('AUTH', this.password);
      if (auth instanceof ReplyError) throw auth;
    }
    return client.command(...args);
  }

  private arguments(dataDir: string): string[] {
    // prettier-ignore
    const listen =
      this.tls === undefined
        ? ['--port', String(this.port)]
        : [
            '--port', '0', '--tls-port', String(this.port),
            '--tls-cert-file', this.tls.cert, '--tls-key-file', this.tls.key,
            '--tls-ca-cert-file', this.tls.ca, '--tls-auth-clients', 'no',
          ];
    const password = this.password === undefined ? [] : ['--requirepass', this.password];
    // prettier-ignore
    return [
      ...listen,
      '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir,
      '--daemonize', 'no', '--logfile', '',
      ...password,
      ...this.extraArgs,
    ];
  }

  /**
   * Ready means our process answers: INFO's process_id must be this child's pid, so a server that grabbed
   * the port in the meantime is never mistaken for ours.
   */
  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child !== child) {
        const tail = this.logTail();
        if (/Address already in use/i.test(tail)) throw new PortBusyError(`a port is busy:\n${tail}`);
        throw new Error(`redis-server exited before it was ready:\n${tail}`);
      }
      // Whoever holds the port may accept and never answer; the child's exit must not wait for that.
      const info = await Promise.race([
        this.query(['INFO', 'server'], READY_PROBE_TIMEOUT_MS).catch(() => undefined),
        this.exited.then(() => undefined),
      ]);
      if (info !== undefined && !(info instanceof ReplyError)) {
        const text = Buffer.isBuffer(info) ? info.toString() : String(info);
        if (text.includes(`process_id:${child.pid}\r\n`)) return;
      }
      await sleep(20);
    }
    await this.kill('SIGKILL');
    throw new Error(
      `redis-server on port ${this.port} was not ready after ${READY_TIMEOUT_MS} ms:\n${this.logTail()}`,
    );
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child === null) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child.kill(signal);
  }

  private remember(text: string): void {
    for (const line of text.split('\n')) if (line.trim() !== '') this.log.push(line);
    if (this.log.length > LOG_LINES_KEPT) this.log.splice(0, this.log.length - LOG_LINES_KEPT);
  }
}

function generatedTlsFiles(): Promise<TlsFiles> {
  if (sharedTls === undefined) {
    const dir = mkdtemp(join(tmpdir(), 'respline-tls-'));
    sharedTls = { dir, files: dir.then((path) => generateTlsFiles(path)) };
  }
  return sharedTls.files;
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // Only synchronous work is possible here: SIGKILL whatever is left so no redis-server outlives jest.
  process.once('exit', () => {
    for (const instance of live) {
      try {
        if (instance.pid > 0) process.kill(instance.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
