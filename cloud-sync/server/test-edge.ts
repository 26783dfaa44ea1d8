/** A stand-in edge for the cloud's tests: records of one house with stable ids per (stream, seq). */

import { v7 } from 'uuid';
import type { Stream, SyncRecord } from '../protocol/record.js';

export const T0 = 1_760_000_000_000;

/** A known type per stream (payment has none yet: such records are `unknown-type`). */
export const TYPE: Record<Stream, string> = {
  alarm: 'alarm.raised',
  payment: 'payment.made',
  points: 'card.swipe',
  registry: 'resident.created',
  device: 'device.status',
  service: 'qr.scanned',
};

export class TestEdge {
  private readonly ids = new Map<string, string>();
  constructor(
    readonly house: string,
    readonly secret = '',
  ) {}

  /** The same (stream, seq) always gets the same id. */
  id(stream: Stream, seq: number): string {
    const k = `${stream}/${seq}`;
    let id = this.ids.get(k);
    if (!id) {
      id = v7();
      this.ids.set(k, id);
    }
    return id;
  }

  rec(stream: Stream, seq: number, body: Record<string, unknown> = { n: seq }): SyncRecord {
    return {
      id: this.id(stream, seq),
      house: this.house,
      stream,
      seq,
      type: TYPE[stream],
      ts: new Date(T0 + seq).toISOString(),
      clock: 'synced',
      v: 1,
      body,
    };
  }

  range(stream: Stream, from: number, to: number): SyncRecord[] {
    const out: SyncRecord[] = [];
    for (let s = from; s <= to; s++) out.push(this.rec(stream, s));
    return out;
  }
}
