/**
 * Reading a record's body for the projections. Bodies are checked by the cloud only as objects
 * (protocol/validate.ts), so a projection reads each field defensively: a field of the wrong type
 * is absent, a long text is cut, a number is bounded. Nothing here may throw, since a projection
 * failing would fail its ingest transaction and block the stream.
 */

/**
 * The field as text (cut to `max` UTF-16 units, never inside a surrogate pair: PostgreSQL refuses
 * a lone surrogate in jsonb), or undefined when it is not a non-empty string.
 */
export function text(v: unknown, max = 200): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  if (v.length <= max) return v;
  const code = v.charCodeAt(max - 1);
  return v.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** The field as an integer in [min, max] (truncated, clamped), or undefined when not a finite number. */
export function int(v: unknown, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return Math.min(max, Math.max(min, Math.trunc(v)));
}
