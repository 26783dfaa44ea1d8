/**
 * Where the sync client's records come from (the edge backs it with its journal:
 * edge/sync/journal-source.ts), and the two helpers that read a source's JSON.
 */
import type { Stream, SyncRecord } from '../protocol/record.js';

/** A record as its source holds it: its seq and its JSON (a {@link SyncRecord}, UTF-8) as sent. */
export interface SourceRecord {
  seq: number;
  /** May be valid only until the next record is asked for: the client copies it at once. */
  json: Uint8Array;
}

/**
 * Where records come from. The edge backs it with its journal: `read` yields the stream's records
 * with seq > `afterSeq` in seq order (it may stop early; the client asks again from its cursor).
 */
export interface SyncSource {
  read(stream: Stream, afterSeq: number): AsyncIterable<SourceRecord>;
  /** Seq of the stream's last durable record; 0 when it has none. */
  lastSeq(stream: Stream): number;
}

/** The parsed record of a source's JSON (for the few places that need a field besides seq). */
export function parseSourceRecord(r: SourceRecord): SyncRecord {
  return JSON.parse(
    Buffer.from(r.json.buffer, r.json.byteOffset, r.json.length).toString('utf8'),
  ) as SyncRecord;
}

/** Wall-clock ms of the first record of `stream` after `afterSeq`; null when there is none. */
export async function firstRecordMs(
  source: SyncSource,
  stream: Stream,
  afterSeq: number,
): Promise<number | null> {
  for await (const r of source.read(stream, afterSeq)) {
    const ts = Date.parse(parseSourceRecord(r).ts);
    return Number.isFinite(ts) ? ts : null;
  }
  return null;
}
