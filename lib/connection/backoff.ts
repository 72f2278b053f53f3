import type { ReconnectOptions } from './options';

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from minDelay, capped at maxDelay,
 * with "equal jitter" (half fixed, half random) so a fleet of clients does not reconnect in lockstep
 * while each still waits at least half its step.
 */
export function backoffDelay(
  attempt: number,
  policy: Required<ReconnectOptions>,
  random = Math.random,
): number {
  const exponent = Math.min(attempt - 1, 30);
  const step = Math.min(policy.maxDelay, policy.minDelay * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
