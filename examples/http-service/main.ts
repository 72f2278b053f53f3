/**
 * `npm run example`: the product service of service.ts on http://127.0.0.1:3000 (PORT to change it; 0
 * picks a free port). It uses the Redis at REDIS_URL when set, and otherwise starts respline's
 * in-process EmbeddedServer (from respline/testing, which needs the ioredis-mock dev dependency), so it
 * runs with nothing else installed. Ctrl-C stops it cleanly.
 */
import { Catalog, SAMPLE_PRODUCTS } from './catalog';
import { Client, EmbeddedServer } from './respline';
import { createService } from './service';

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  const embedded = redisUrl === undefined || redisUrl === '' ? new EmbeddedServer() : null;
  if (embedded !== null) await embedded.start();
  const client = new Client(embedded?.url ?? redisUrl ?? '');
  client.on('error', (error) => console.error(`redis: ${error.message}`));
  await client.connect();

  const server = createService({
    client,
    // A 50 ms "database", so a cache miss is visibly slower than a hit.
    catalog: new Catalog(SAMPLE_PRODUCTS, 50),
    rateLimit: Number(process.env.RATE_LIMIT ?? 10),
    windowMs: 60_000,
    cacheTtlSeconds: 30,
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const where =
    embedded !== null ? `the embedded server at ${embedded.url}` : withoutPassword(redisUrl ?? '');
  console.log(`product service on http://127.0.0.1:${port}, Redis: ${where}`);
  console.log(`try: curl -i http://127.0.0.1:${port}/products/1   (twice: X-Cache MISS, then HIT)`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    void client
      .quit()
      .then(() => embedded?.stop())
      .then(() => console.log('stopped'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL (unparsable)';
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  // An embedded server already started would keep the process alive.
  process.exit(1);
});
