/** Human-readable numbers for panels and legends. Pure functions, no locale surprises. */
import type { Pct, Price, UnixMs } from './units';

export function formatPrice(p: Price | number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return '—';
  const a = Math.abs(p);
  const digits = a >= 1000 ? 1 : a >= 10 ? 2 : a >= 1 ? 3 : 5;
  return p.toFixed(digits);
}

/** 0.0123 → "+1.23%" (signed) or "1.23%". */
export function formatPct(f: Pct | number | null | undefined, signed = false, digits = 2): string {
  if (f == null || !Number.isFinite(f)) return '—';
  const s = (f * 100).toFixed(digits);
  return signed && f > 0 ? `+${s}%` : `${s}%`;
}

/** Compact numbers for volumes and open interest: 1234567 → "1.23M". */
export function formatCompact(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(2) + 'B';
  if (a >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (a >= 1e3) return (n / 1e3).toFixed(2) + 'k';
  return a >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/** "2025-09-01 14:05 UTC" */
export function formatTime(t: UnixMs | number): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A UTC time as a datetime-local input's value (minutes) and back (null when unparsable). */
export const toDateTimeInput = (t: number): string => new Date(t).toISOString().slice(0, 16);
export const fromDateTimeInput = (v: string): number | null => { const t = Date.parse(v + 'Z'); return Number.isNaN(t) ? null : t; };
