import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';

/** What one journal segment holds: its LSN range, each stream's seq range, the newest record time. */
export interface SegmentSummary {
  firstLsn: number;
  /** The last LSN seen in it (for the active segment: so far). */
  lastLsn: number;
  /** Per stream present: `[minSeq, maxSeq]`. */
  streams: Partial<Record<Stream, [number, number]>>;
  /** The newest record `ts` in it (ISO-8601), '' when empty. */
  lastTs: string;
}

/**
 * A small index of the journal's segments by stream (kept inside the record log's seq checkpoint):
 * where a stream's seq lies, so a reader of one stream (the sync client) starts at the right
 * segment instead of reading the journal from its start, and retention can tell which segments
 * are fully synced. Segments written before the index existed have no summary until
 * {@link SegmentIndex.learn} is given one (a reader scans them once).
 */
export class SegmentIndex {
  /** By first LSN, ascending; the last may be the active segment's partial summary. */
  #summaries: SegmentSummary[];
  /** The summary noted last (appends go to the same one, mostly). */
  #last: SegmentSummary | undefined;

  constructor(summaries: readonly SegmentSummary[] = []) {
    this.#summaries = summaries
      .filter(isSummary)
      .map(clone)
      .sort((a, b) => a.firstLsn - b.firstLsn);
  }

  /**
   * Notes a durable record at `lsn` in the segment starting at `segmentFirstLsn`. Idempotent, and
   * in any order: a reader may have summarized a segment (learn) before its records' acks arrive.
   */
  observe(segmentFirstLsn: number, lsn: number, record: Pick<SyncRecord, 'stream' | 'seq' | 'ts'>): void {
    let s = this.#last?.firstLsn === segmentFirstLsn ? this.#last : this.get(segmentFirstLsn);
    if (!s) {
      s = { firstLsn: segmentFirstLsn, lastLsn: lsn, streams: {}, lastTs: '' };
      this.#insert(s);
    }
    this.#last = s;
    if (lsn > s.lastLsn) s.lastLsn = lsn;
    const range = s.streams[record.stream];
    if (range) {
      if (record.seq < range[0]) range[0] = record.seq;
      if (record.seq > range[1]) range[1] = record.seq;
    } else {
      s.streams[record.stream] = [record.seq, record.seq];
    }
    if (record.ts > s.lastTs) s.lastTs = record.ts;
  }

  /**
   * Whether the summary of the segment starting at `firstLsn` covers it whole, given the next
   * segment's first LSN (a closed segment whose last records are not yet noted is not).
   */
  complete(firstLsn: number, nextFirstLsn: number): boolean {
    const s = this.get(firstLsn);
    return s !== undefined && s.lastLsn >= nextFirstLsn - 1;
  }

  /** Adds the summary of a segment that a reader scanned whole. */
  learn(summary: SegmentSummary): void {
    const known = this.get(summary.firstLsn);
    if (!known) {
      this.#insert(clone(summary));
      return;
    }
    known.lastLsn = Math.max(known.lastLsn, summary.lastLsn);
    for (const [stream, [lo, hi]] of Object.entries(summary.streams) as [Stream, [number, number]][]) {
      const r = known.streams[stream];
      known.streams[stream] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
    }
    if (summary.lastTs > known.lastTs) known.lastTs = summary.lastTs;
  }

  #insert(s: SegmentSummary): void {
    let i = this.#summaries.length;
    while (i > 0 && (this.#summaries[i - 1] as SegmentSummary).firstLsn > s.firstLsn) i--;
    this.#summaries.splice(i, 0, s);
  }

  get(firstLsn: number): SegmentSummary | undefined {
    let lo = 0;
    let hi = this.#summaries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.#summaries[mid] as SegmentSummary;
      if (s.firstLsn === firstLsn) return s;
      if (s.firstLsn < firstLsn) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Forgets the summaries of segments that start before `firstLsn` (deleted). */
  dropBefore(firstLsn: number): void {
    this.#summaries = this.#summaries.filter((s) => s.firstLsn >= firstLsn);
    if (this.#last && this.#last.firstLsn < firstLsn) this.#last = undefined;
  }

  /**
   * The first LSN to read from to find `stream`'s records with seq > `afterSeq`, given the
   * journal's segment starts (ascending): the first segment whose summary holds a larger seq of
   * the stream, or whose summary is missing or not yet whole (it must be read through);
   * `undefined` when no segment can.
   */
  locate(segmentStarts: readonly number[], stream: Stream, afterSeq: number): number | undefined {
    for (let i = 0; i < segmentStarts.length; i++) {
      const first = segmentStarts[i] as number;
      const s = this.get(first);
      const next = segmentStarts[i + 1];
      if (!s || (next !== undefined && !this.complete(first, next))) return first;
      const range = s.streams[stream];
      if (range && range[1] > afterSeq) return first;
      // The active segment (last) may gain records of the stream at any time: read it.
      if (next === undefined) return first;
    }
    return undefined;
  }

  /** Segment starts (ascending) that have no summary. */
  missing(segmentStarts: readonly number[]): number[] {
    return segmentStarts.filter((f) => !this.get(f));
  }

  toJSON(): SegmentSummary[] {
    return this.#summaries.map(clone);
  }
}

/** The start of the segment holding `lsn`: the last of `starts` (ascending) that is ≤ `lsn`. */
export function segmentStartOf(starts: readonly number[], lsn: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= lsn) lo = mid;
    else hi = mid - 1;
  }
  return starts[lo] ?? 1;
}

function clone(s: SegmentSummary): SegmentSummary {
  const streams: SegmentSummary['streams'] = {};
  for (const [k, v] of Object.entries(s.streams) as [Stream, [number, number]][]) streams[k] = [v[0], v[1]];
  return { firstLsn: s.firstLsn, lastLsn: s.lastLsn, streams, lastTs: s.lastTs };
}

function isSummary(s: unknown): s is SegmentSummary {
  const x = s as SegmentSummary;
  return (
    x !== null &&
    typeof x === 'object' &&
    Number.isSafeInteger(x.firstLsn) &&
    Number.isSafeInteger(x.lastLsn) &&
    typeof x.lastTs === 'string' &&
    typeof x.streams === 'object' &&
    x.streams !== null &&
    Object.values(x.streams).every(
      (r) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n)),
    )
  );
}
