/**
 * The sync record envelope, protocol version 1 (DESIGN.md, "Records and sync").
 * Records are immutable; a later state is a new record. Records name residents by id only.
 */

export const STREAMS = ['alarm', 'payment', 'points', 'registry', 'device', 'service'] as const;
export type Stream = (typeof STREAMS)[number];

/** Sync order: alarms first, then payments, then the rest. */
export const STREAM_PRIORITY: readonly Stream[] = [
  'alarm',
  'payment',
  'points',
  'registry',
  'device',
  'service',
];

export interface SyncRecord<B = Record<string, unknown>> {
  /** UUIDv7. */
  id: string;
  house: string;
  stream: Stream;
  /** Per (house, stream), from 1, no gaps. */
  seq: number;
  type: string;
  /** ISO-8601 UTC with milliseconds. */
  ts: string;
  clock: 'synced' | 'unsynced';
  v: 1;
  body: B;
}

export function isStream(s: string): s is Stream {
  return (STREAMS as readonly string[]).includes(s);
}
