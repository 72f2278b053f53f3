import type { ClientOptions, ResolvedOptions } from '../connection/options';
import { sentinelConfig } from './config';
import { SentinelDiscovery } from './discovery';

/**
 * For a Client given `sentinels`: validates the sentinel options and gives the resolved options the
 * discovery's address resolver and ROLE check, so every connection made from them (the shared one,
 * dedicated ones) finds its server through the sentinels. Returns null without `sentinels`.
 */
export function attachSentinel(
  options: ClientOptions | undefined,
  resolved: ResolvedOptions,
): SentinelDiscovery | null {
  const config = sentinelConfig(options);
  if (config === null) return null;
  const discovery = new SentinelDiscovery(config, resolved.connectTimeout);
  resolved.addressResolver = { label: discovery.label, resolve: discovery.resolveAddress };
  resolved.readyCheck = discovery.readyCheck;
  return discovery;
}
