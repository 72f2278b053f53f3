import type { Spread } from './stats';

export function rate(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e5) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

export function micros(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function mebibytes(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MB` : '—';
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

/** `median (min–max)`, or the median alone when there was a single run. */
export function withSpread(s: Spread, format: (value: number) => string): string {
  if (s.n === 0) return '—';
  if (s.n === 1) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}
