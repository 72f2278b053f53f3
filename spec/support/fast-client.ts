import type { ClientOptions } from '../../lib/connection/options';

/**
 * Client options for Cluster specs that fault servers: deadlines, stall detection and reconnects short
 * enough that a dead or paused replica is noticed within a second, as the chaos spec's are.
 */
export const FAST_CLIENT: ClientOptions = {
  commandTimeout: 400,
  connectTimeout: 1_000,
  heartbeatInterval: 200,
  stallTimeout: 600,
  reconnect: { minDelay: 20, maxDelay: 200 },
};
