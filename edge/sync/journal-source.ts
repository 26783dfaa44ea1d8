import type { SourceRecord, SyncSource } from '../../cloud-sync/client/sync-source.js';
import type { Stream, SyncRecord } from '../../cloud-sync/protocol/record.js';
import type { RecordLog } from '../store/record-log.js';
import type { DroppedRecords } from './dropped-records.js';

/**
 * The sync client's source (cloud-sync/client/sync-client.ts) over the edge's record log: a
 * stream's records after a seq, found through the segment index. Records dropped by the
 * disk-full policy (retention.ts) come first, as `record.dropped` stand-ins with their own id and
 * seq, so the cloud's contiguity goes on and the loss is on record. Records come as stored: their
 * JSON bytes, valid until the next is read (the client copies them into its request body).
 */
export class JournalSyncSource implements SyncSource {
  constructor(
    private readonly records: RecordLog,
    private readonly dropped: DroppedRecords,
  ) {}

  async *read(stream: Stream, afterSeq: number): AsyncIterable<SourceRecord> {
    let last = afterSeq;
    for (const d of this.dropped.after(stream, afterSeq)) {
      const record: SyncRecord = {
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
      yield { seq: d.seq, json: Buffer.from(JSON.stringify(record)) };
      last = d.seq;
    }
    // The journal's records as stored (their JSON is what the cloud gets).
    yield* this.records.readStream(stream, last);
  }

  lastSeq(stream: Stream): number {
    return this.records.streamSeq(stream);
  }
}
