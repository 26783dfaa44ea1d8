import t from 'tap';
import { v7 } from 'uuid';
import type { SyncRecord } from './record.js';
import {
  BatchRefusalCode,
  MAX_BATCH_BYTES,
  MAX_RECORD_BYTES,
  parseSyncBatch,
  RejectReason,
  validateRecords,
  validateSyncBatch,
} from './validate.js';

const HOUSE = 'sy-hp-0042';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function record(seq: number, over: Record<string, unknown> = {}): SyncRecord {
  return {
    id: v7({ msecs: T0 + seq }),
    house: HOUSE,
    stream: 'points',
    seq,
    type: 'points.credited',
    ts: new Date(T0 + seq).toISOString(),
    clock: 'synced',
    v: 1,
    body: { residentId: 'r-1', points: 3 },
    ...over,
  } as SyncRecord;
}

const batch = (records: unknown[]) => JSON.stringify({ records });

t.test('batch-level refusals', async (t) => {
  t.match(parseSyncBatch(batch([])), { ok: true, records: [] });
  const cases: [string, Buffer | string, string, number][] = [
    ['not JSON', '{"records":[', BatchRefusalCode.NotJson, 400],
    ['empty', '', BatchRefusalCode.NotJson, 400],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), BatchRefusalCode.NotJson, 400],
    ['array', '[]', BatchRefusalCode.NotABatch, 400],
    ['null', 'null', BatchRefusalCode.NotABatch, 400],
    ['no records', '{}', BatchRefusalCode.NotABatch, 400],
    ['records not an array', '{"records":{}}', BatchRefusalCode.NotABatch, 400],
    ['extra key', '{"records":[],"house":"x"}', BatchRefusalCode.NotABatch, 400],
    ['over 1 MiB', `{"records":[],"pad":"${'x'.repeat(MAX_BATCH_BYTES)}"}`, BatchRefusalCode.TooLarge, 413],
  ];
  for (const [name, raw, code, status] of cases) {
    t.match(parseSyncBatch(raw), { ok: false, code, status, message: String }, name);
  }
  // The byte limit counts UTF-8 bytes and is checked before parsing (this one is not even JSON).
  t.match(parseSyncBatch(Buffer.alloc(MAX_BATCH_BYTES + 1, 0x20)), { code: BatchRefusalCode.TooLarge });
  t.match(parseSyncBatch('邻'.repeat(MAX_BATCH_BYTES / 3 + 1)), { code: BatchRefusalCode.TooLarge });
  t.match(parseSyncBatch(batch([]), { maxBatchBytes: 5 }), { code: BatchRefusalCode.TooLarge });
});

t.test('1,000 records pass, 1,001 are refused whole', async (t) => {
  const ok = validateSyncBatch(batch(Array.from({ length: 1000 }, (_, i) => record(i + 1))), {
    house: HOUSE,
  });
  t.match(ok, { ok: true, rejected: [] });
  t.equal(ok.ok && ok.accepted.length, 1000);
  t.same(ok.ok && ok.accepted.map((r) => r.seq).slice(0, 3), [1, 2, 3]);
  const raw = batch(Array.from({ length: 1001 }, (_, i) => record(i + 1)));
  t.ok(Buffer.byteLength(raw) < MAX_BATCH_BYTES, 'refused for the count, not the bytes');
  t.same(validateSyncBatch(raw, { house: HOUSE }), {
    ok: false,
    code: BatchRefusalCode.TooManyRecords,
    status: 413,
    message: '1001 records is over the 1000 a batch may hold',
  });
});

t.test('one bad record never fails its neighbours; the good keep their order', async (t) => {
  const secret = 'Zhang San 13800138000'; // a body value that must never come back
  const good = [1, 3, 5, 8].map((seq) => record(seq, seq === 5 ? { clock: 'unsynced' } : {}));
  const other = record(2, { house: 'another-house', body: { name: secret } });
  const unknownType = record(4, { type: 'points.minted', body: { name: secret } });
  const tooBig = record(6, { body: { name: secret, blob: 'x'.repeat(MAX_RECORD_BYTES) } });
  const badTs = record(7, { ts: '2026-01-01T08:00:00+08:00', body: { name: secret } });
  const raw = batch([good[0], other, good[1], unknownType, good[2], tooBig, badTs, good[3]]);
  const res = validateSyncBatch(raw, { house: HOUSE });
  if (!res.ok) throw new Error('refused');
  t.same(res.accepted, good);
  t.same(
    res.rejected.map(({ id, stream, seq, reason }) => ({ id, stream, seq, reason })),
    [
      { id: other.id, stream: 'points', seq: 2, reason: RejectReason.WrongHouse },
      { id: unknownType.id, stream: 'points', seq: 4, reason: RejectReason.UnknownType },
      { id: tooBig.id, stream: 'points', seq: 6, reason: RejectReason.TooLarge },
      { id: badTs.id, stream: 'points', seq: 7, reason: RejectReason.Schema },
    ],
  );
  t.match(res.rejected[1]?.message, 'type points.minted is not known for stream points');
  t.equal(res.rejected[0]?.house, 'another-house', 'a wrong-house rejection names the house it claims');
  t.equal(res.rejected[1]?.house, undefined);
  t.notMatch(JSON.stringify(res.rejected), /Zhang|138/, 'no body value in any rejection');
});

t.test('the envelope, field by field', async (t) => {
  const r = record(1);
  const bad: [string, unknown, RejectReason, string | null, number | null][] = [
    ['not an object', 'x', RejectReason.Schema, null, null],
    ['null', null, RejectReason.Schema, null, null],
    ['array', [r], RejectReason.Schema, null, null],
    ['extra field', { ...r, extra: 1 }, RejectReason.Schema, 'points', 1],
    [
      '__proto__ field',
      JSON.parse(`{"__proto__":{},${JSON.stringify(r).slice(1)}`),
      RejectReason.Schema,
      'points',
      1,
    ],
    ['no body', { ...r, body: undefined }, RejectReason.Schema, 'points', 1],
    ['uuid v4', { ...r, id: '0b6a7f4e-3c1d-4a2b-9e8f-1a2b3c4d5e6f' }, RejectReason.Schema, 'points', 1],
    ['uuid upper case', { ...r, id: r.id.toUpperCase() }, RejectReason.Schema, 'points', 1],
    [
      'uuid v7 bad variant',
      { ...r, id: `${r.id.slice(0, 19)}c${r.id.slice(20)}` },
      RejectReason.Schema,
      'points',
      1,
    ],
    ['house not a string', { ...r, house: 42 }, RejectReason.Schema, 'points', 1],
    ['house not an id', { ...r, house: 'a house' }, RejectReason.Schema, 'points', 1],
    ['seq 0', { ...r, seq: 0 }, RejectReason.Schema, 'points', null],
    ['seq negative', { ...r, seq: -1 }, RejectReason.Schema, 'points', null],
    ['seq fraction', { ...r, seq: 1.5 }, RejectReason.Schema, 'points', null],
    ['seq string', { ...r, seq: '1' }, RejectReason.Schema, 'points', null],
    ['seq unsafe', { ...r, seq: 2 ** 53 }, RejectReason.Schema, 'points', null],
    ['type not a string', { ...r, type: 1 }, RejectReason.Schema, 'points', 1],
    ['ts without ms', { ...r, ts: '2026-01-01T00:00:00Z' }, RejectReason.Schema, 'points', 1],
    ['ts not UTC', { ...r, ts: '2026-01-01T00:00:00.000+00:00' }, RejectReason.Schema, 'points', 1],
    ['ts 30 February', { ...r, ts: '2026-02-30T00:00:00.000Z' }, RejectReason.Schema, 'points', 1],
    ['ts a number', { ...r, ts: T0 }, RejectReason.Schema, 'points', 1],
    ['clock', { ...r, clock: 'maybe' }, RejectReason.Schema, 'points', 1],
    ['v 2', { ...r, v: 2 }, RejectReason.Schema, 'points', 1],
    ['v "1"', { ...r, v: '1' }, RejectReason.Schema, 'points', 1],
    ['body array', { ...r, body: [] }, RejectReason.Schema, 'points', 1],
    ['body null', { ...r, body: null }, RejectReason.Schema, 'points', 1],
    ['wrong house', { ...r, house: 'sy-hp-0043' }, RejectReason.WrongHouse, 'points', 1],
    ['unknown stream', { ...r, stream: 'billing' }, RejectReason.UnknownStream, null, 1],
    ['type of another stream', { ...r, type: 'alarm.raised' }, RejectReason.UnknownType, 'points', 1],
    ['payment has no types yet', { ...r, stream: 'payment' }, RejectReason.UnknownType, 'payment', 1],
  ];
  const records = bad.map(([, rec]) => rec);
  const res = validateRecords(records, { house: HOUSE });
  t.same(res.accepted, []);
  bad.forEach(([name, rec, reason, stream, seq], i) => {
    const o = (typeof rec === 'object' && rec !== null && !Array.isArray(rec) ? rec : {}) as { id?: string };
    const id = o.id === r.id ? r.id : null;
    const house = reason === RejectReason.WrongHouse ? { house: 'sy-hp-0043' } : {};
    t.same(res.rejected[i], { id, stream, seq, reason, message: res.rejected[i]?.message, ...house }, name);
    t.type(res.rejected[i]?.message, 'string');
  });
  // The size limit is the record's JSON, and it can be set.
  const size = Buffer.byteLength(JSON.stringify(r));
  t.same(validateRecords([r], { house: HOUSE, maxRecordBytes: size }).accepted, [r], 'exactly at the limit');
  t.match(validateRecords([r], { house: HOUSE, maxRecordBytes: size - 1 }).rejected, [
    { reason: RejectReason.TooLarge },
  ]);
  // Not from JSON.parse and not serializable: still a coded rejection, not a throw.
  const cyclic: Record<string, unknown> = { ...r, body: {} };
  (cyclic.body as Record<string, unknown>).self = cyclic;
  t.match(validateRecords([cyclic], { house: HOUSE }).rejected, [{ reason: RejectReason.Schema }]);
  t.match(validateRecords([{ ...r, body: { n: 10n } }], { house: HOUSE }).rejected, [
    { reason: RejectReason.Schema },
  ]);
});

t.test('every known type of every stream is accepted', async (t) => {
  const { RECORD_TYPES } = await import('./record-types.js');
  let seq = 0;
  const records = Object.entries(RECORD_TYPES).flatMap(([stream, types]) =>
    types.map((type: string) => record(++seq, { stream, type })),
  );
  const res = validateRecords(records, { house: HOUSE });
  t.same(res.rejected, []);
  t.equal(res.accepted.length, records.length);
});
