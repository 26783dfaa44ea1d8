import type { SyncSource } from '../../cloud-sync/client/sync-client.js';
import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';
import type { RecordLog } from '../store/record-log.js';
import type { DroppedRecords } from './dropped-records.js';

/**
 * The sync client's source (cloud-sync/client/sync-client.ts) over the edge's record log: a
 * stream's records after a seq, found through the segment index. Records dropped by the
 * disk-full policy (retention.ts) come first, as `record.dropped` stand-ins with their own id and
 * seq, so the cloud's contiguity goes on and the loss is on record.
 */
export class JournalSyncSource implements SyncSource {
  constructor(
    private readonly records: RecordLog,
    private readonly dropped: DroppedRecords,
  ) {}

  async *read(stream: Stream, afterSeq: number): AsyncIterable<SyncRecord> {
    let last = afterSeq;
    for (const d of this.dropped.after(stream, afterSeq)) {
      yield {
        id: d.id,
        house: this.records.house,
        stream,
        seq: d.seq,
        type: 'record.dropped',
        ts: d.ts,
        clock: d.clock,
        v: 1,
        body: { reason: d.reason, type: d.type, droppedAt: d.droppedAt },
      };
      last = d.seq;
    }
    for await (const { record } of this.records.readStream(stream, last)) yield record;
  }

  lastSeq(stream: Stream): number {
    return this.records.streamSeq(stream);
  }
}
