import { join } from 'node:path';
import type { Stream } from '../../cloud-sync/protocol/record.js';
import { DurableFileAdapter } from '../store/durable-file-adapter.js';

/** A record deleted unsynced by the disk-full policy: what the cloud is told in its place. */
export interface DroppedRecord {
  id: string;
  stream: Stream;
  seq: number;
  type: string;
  ts: string;
  clock: 'synced' | 'unsynced';
  reason: 'disk-full';
  droppedAt: string;
}

interface File {
  v: 1;
  records: DroppedRecord[];
}

/**
 * The list of records deleted before the cloud had them (retention.ts, disk-full policy), kept
 * durably until the cloud holds their stand-ins. Small: ids and seqs only, never bodies.
 */
export class DroppedRecords {
  #records: DroppedRecord[];
  readonly #file: DurableFileAdapter<File>;

  private constructor(file: DurableFileAdapter<File>, records: DroppedRecord[]) {
    this.#file = file;
    this.#records = records;
  }

  static async open(dir: string): Promise<DroppedRecords> {
    const file = new DurableFileAdapter<File>(join(dir, 'dropped-records.json'), {
      stringify: (d) => JSON.stringify(d),
    });
    const data = await file.read();
    return new DroppedRecords(file, data?.v === 1 && Array.isArray(data.records) ? data.records : []);
  }

  get count(): number {
    return this.#records.length;
  }

  /** The dropped records of `stream` with seq > `afterSeq`, in seq order. */
  after(stream: Stream, afterSeq: number): DroppedRecord[] {
    return this.#records.filter((r) => r.stream === stream && r.seq > afterSeq).sort((a, b) => a.seq - b.seq);
  }

  /** Adds records (durable when it resolves), before their segment is deleted. */
  async add(records: readonly DroppedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.#records = [...this.#records, ...records];
    await this.#file.write({ v: 1, records: this.#records });
  }

  /** Forgets the ones the cloud now holds (cursor per stream). */
  async prune(cursors: Readonly<Record<string, number>>): Promise<void> {
    const keep = this.#records.filter((r) => r.seq > (cursors[r.stream] ?? 0));
    if (keep.length === this.#records.length) return;
    this.#records = keep;
    await this.#file.write({ v: 1, records: keep });
  }
}
