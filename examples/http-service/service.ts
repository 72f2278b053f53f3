import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cacheAside, invalidate } from './cache';
import type { Catalog } from './catalog';
import { takeRequest } from './rate-limit';
import { ResplineError, type Client } from './respline';

export interface ServiceOptions {
  client: Client;
  catalog: Catalog;
  /** Requests each caller may make per window. */
  rateLimit: number;
  windowMs: number;
  /** How long a cached product lives. */
  cacheTtlSeconds: number;
}

const PRODUCT_PATH = /^\/products\/([A-Za-z0-9_-]{1,64})$/;
const MAX_BODY_BYTES = 16 * 1024;

/**
 * A small product API over node:http:
 * - `GET /products/:id`: cache-aside through Redis; `X-Cache: HIT` or `MISS` says which;
 * - `PUT /products/:id` with `{"name"?, "priceCents"?}`: updates the catalog and invalidates the cache;
 * - `GET /health`: PING.
 *
 * Every /products request is rate limited per caller (the `X-Api-Key` header, else the remote
 * address) by a Lua script: `X-RateLimit-Limit` and `X-RateLimit-Remaining` on each response, 429 with
 * `Retry-After` past the limit. When Redis fails the service answers 503 rather than skipping the limit.
 */
export function createService(options: ServiceOptions): Server {
  return createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      if (response.headersSent || request.destroyed) {
        response.destroy();
        return;
      }
      // respline's errors (timeouts, a lost connection, a full queue) mean Redis cannot answer now.
      if (error instanceof ResplineError)
        send(response, 503, { error: `redis unavailable: ${error.message}` });
      else send(response, 500, { error: 'internal error' });
    });
  });
}

async function handle(
  options: ServiceOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/health' && request.method === 'GET') {
    send(response, 200, { redis: await options.client.ping() });
    return;
  }
  const match = PRODUCT_PATH.exec(path);
  if (match === null) {
    send(response, 404, { error: 'not found' });
    return;
  }
  const id = match[1];

  const decision = await takeRequest(options.client, callerOf(request), options.rateLimit, options.windowMs);
  response.setHeader('X-RateLimit-Limit', String(options.rateLimit));
  response.setHeader('X-RateLimit-Remaining', String(decision.remaining));
  if (!decision.allowed) {
    response.setHeader('Retry-After', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
    send(response, 429, { error: 'too many requests' });
    return;
  }

  const key = `example:product:${id}`;
  if (request.method === 'GET') {
    const { value, hit } = await cacheAside(options.client, key, options.cacheTtlSeconds, async () => {
      const product = await options.catalog.find(id);
      return product === null ? null : JSON.stringify(product);
    });
    response.setHeader('X-Cache', hit ? 'HIT' : 'MISS');
    if (value === null) send(response, 404, { error: `no product ${id}` });
    else sendJson(response, 200, value);
    return;
  }
  if (request.method === 'PUT') {
    const changes = parseChanges(await readBody(request));
    if (changes === null) {
      send(response, 400, { error: 'expected {"name"?: string, "priceCents"?: integer}' });
      return;
    }
    if (!options.catalog.update(id, changes)) {
      send(response, 404, { error: `no product ${id}` });
      return;
    }
    await invalidate(options.client, key);
    response.writeHead(204).end();
    return;
  }
  response.setHeader('Allow', 'GET, PUT');
  send(response, 405, { error: 'method not allowed' });
}

function callerOf(request: IncomingMessage): string {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return `key:${apiKey}`;
  return `ip:${request.socket.remoteAddress ?? 'unknown'}`;
}

function parseChanges(body: string): { name?: string; priceCents?: number } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const name = 'name' in parsed ? parsed.name : undefined;
  const priceCents = 'priceCents' in parsed ? parsed.priceCents : undefined;
  if (name !== undefined && typeof name !== 'string') return null;
  if (priceCents !== undefined && (typeof priceCents !== 'number' || !Number.isSafeInteger(priceCents)))
    return null;
  return { name, priceCents };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy(new Error('request body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: object): void {
  sendJson(response, status, JSON.stringify(body));
}

function sendJson(response: ServerResponse, status: number, json: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' }).end(json);
}
