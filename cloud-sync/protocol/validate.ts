/**
 * Validation of a sync batch, `POST /api/v1/sync/records` with body `{"records":[…]}`, protocol
 * version 1 (DESIGN.md, "Records and sync"). Two levels:
 *
 * - the batch: refused whole (nothing stored) when the raw body is over 1 MiB or holds more than
 *   1,000 records (413), is not UTF-8 JSON, or is not exactly `{"records": [...]}` (400);
 * - each record: checked on its own against the envelope, so one bad record never fails its
 *   neighbours. Rejections carry the record's id, stream and seq (each only when valid, else
 *   `null`) and a stable code plus a message that never quotes the body (it may hold personal
 *   data).
 *
 * Pure: call it after the request's signature is verified, with the house that signed.
 */

import { isStream, type Stream, type SyncRecord } from './record.js';
import { isKnownType } from './record-types.js';

export const MAX_BATCH_BYTES = 1024 * 1024;
export const MAX_BATCH_RECORDS = 1000;
/** A record's JSON (as the edge journals it: `JSON.stringify(record)`) may not be longer. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** Why a whole batch was refused. */
export const BatchRefusalCode = {
  /** The raw body is over the byte limit: 413. */
  TooLarge: 'batch-too-large',
  /** More records than allowed: 413. */
  TooManyRecords: 'batch-too-many-records',
  /** Not UTF-8 JSON: 400. */
  NotJson: 'batch-not-json',
  /** JSON, but not an object whose only key is a `records` array: 400. */
  NotABatch: 'batch-malformed',
} as const;
export type BatchRefusalCode = (typeof BatchRefusalCode)[keyof typeof BatchRefusalCode];

export interface BatchRefusal {
  ok: false;
  code: BatchRefusalCode;
  status: 400 | 413;
  message: string;
}

/** Why one record was rejected. */
export const RejectReason = {
  /** The envelope breaks its schema (a field missing, extra, of the wrong kind or form). */
  Schema: 'schema',
  /** `stream` is not one of the protocol's streams. */
  UnknownStream: 'unknown-stream',
  /** `type` is not known for its stream (see RECORD_TYPES). */
  UnknownType: 'unknown-type',
  /** `house` is not the house that signed the request. */
  WrongHouse: 'wrong-house',
  /** The record's JSON is over the per-record limit. */
  TooLarge: 'too-large',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export interface RejectedRecord {
  /** The record's id if it is a UUIDv7, else null. */
  id: string | null;
  /** The record's stream if it is a known stream, else null. */
  stream: Stream | null;
  /** The record's seq if it is a positive safe integer, else null. */
  seq: number | null;
  reason: RejectReason;
  /** For people; names fields, never quotes the body. */
  message: string;
  /**
   * Only for `wrong-house`: the house the record claims. Such a rejection is answered but never
   * stored under the signing house (the seq it names is not that house's).
   */
  house?: string;
}

export interface ValidatedRecords {
  /** The good records, in the order they came. */
  accepted: SyncRecord[];
  rejected: RejectedRecord[];
}

export interface ValidateOptions {
  /** The house that signed the request. */
  house: string;
  maxRecordBytes?: number;
  /** The (stream, type) pairs taken; RECORD_TYPES by default (a cloud older than its edges knows fewer). */
  isKnownType?: (stream: string, type: string) => boolean;
}

export interface BatchLimits {
  maxBatchBytes?: number;
  maxBatchRecords?: number;
}

/** Same as the edge's house ids (edge/store/record-log.ts). */
const HOUSE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A type name safe to quote back: the form the edge's types have. */
const TYPE_NAME = /^[a-z][a-z0-9-]{0,31}(?:\.[a-z][a-z0-9-]{0,31}){0,3}$/;
const ENVELOPE_KEYS = new Set(['id', 'house', 'stream', 'seq', 'type', 'ts', 'clock', 'v', 'body']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function refuse(code: BatchRefusalCode, message: string): BatchRefusal {
  const status = code === BatchRefusalCode.TooLarge || code === BatchRefusalCode.TooManyRecords ? 413 : 400;
  return { ok: false, code, status, message };
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Parses the raw body of a sync batch. The byte limit is checked before anything is decoded (a
 * server should also stop reading at that limit rather than buffer more).
 */
export function parseSyncBatch(
  raw: Buffer | string,
  limits: BatchLimits = {},
): { ok: true; records: unknown[] } | BatchRefusal {
  const maxBytes = limits.maxBatchBytes ?? MAX_BATCH_BYTES;
  const maxRecords = limits.maxBatchRecords ?? MAX_BATCH_RECORDS;
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (bytes > maxBytes)
    return refuse(BatchRefusalCode.TooLarge, `body of ${bytes} bytes is over ${maxBytes}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
  } catch {
    return refuse(BatchRefusalCode.NotJson, 'body is not UTF-8 JSON');
  }
  if (!isPlainObject(parsed) || !Array.isArray(parsed.records)) {
    return refuse(BatchRefusalCode.NotABatch, 'body is not an object with a "records" array');
  }
  if (Object.keys(parsed).length !== 1)
    return refuse(BatchRefusalCode.NotABatch, 'body has keys besides "records"');
  if (parsed.records.length > maxRecords) {
    return refuse(
      BatchRefusalCode.TooManyRecords,
      `${parsed.records.length} records is over the ${maxRecords} a batch may hold`,
    );
  }
  return { ok: true, records: parsed.records };
}

/** Checks one record; `undefined` when it is good. */
export function checkRecord(
  r: unknown,
  opts: ValidateOptions,
): Pick<RejectedRecord, 'reason' | 'message'> | undefined {
  const schema = (message: string) => ({ reason: RejectReason.Schema, message });
  if (!isPlainObject(r)) return schema('record is not an object');
  for (const key of Object.keys(r)) {
    if (!ENVELOPE_KEYS.has(key)) return schema('record has a field the envelope does not define');
  }
  for (const key of ENVELOPE_KEYS) if (!Object.hasOwn(r, key)) return schema(`record has no ${key}`);
  if (typeof r.id !== 'string' || !UUID_V7.test(r.id)) return schema('id is not a lower-case UUIDv7');
  if (typeof r.house !== 'string' || !HOUSE_ID.test(r.house)) return schema('house is not a house id');
  if (typeof r.stream !== 'string') return schema('stream is not a string');
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) {
    return schema('seq is not a positive safe integer');
  }
  if (typeof r.type !== 'string') return schema('type is not a string');
  if (typeof r.ts !== 'string' || !ISO_UTC_MS.test(r.ts) || !validInstant(r.ts)) {
    return schema('ts is not an ISO-8601 UTC time with milliseconds');
  }
  if (r.clock !== 'synced' && r.clock !== 'unsynced') return schema('clock is neither synced nor unsynced');
  if (r.v !== 1) return schema('v is not 1 (protocol version 1)');
  if (!isPlainObject(r.body)) return schema('body is not an object');
  if (r.house !== opts.house) {
    return { reason: RejectReason.WrongHouse, message: 'record belongs to another house than the signer' };
  }
  if (!isStream(r.stream)) return { reason: RejectReason.UnknownStream, message: 'stream is not known' };
  if (!(opts.isKnownType ?? isKnownType)(r.stream, r.type)) {
    const name = TYPE_NAME.test(r.type) ? ` ${r.type}` : '';
    return { reason: RejectReason.UnknownType, message: `type${name} is not known for stream ${r.stream}` };
  }
  const max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(r));
  } catch {
    return schema('record is not JSON'); // only for records that did not come from JSON.parse
  }
  if (size > max) return { reason: RejectReason.TooLarge, message: `record of ${size} bytes is over ${max}` };
  return undefined;
}

function validInstant(ts: string): boolean {
  const t = Date.parse(ts);
  return Number.isFinite(t) && new Date(t).toISOString() === ts;
}

/**
 * Validates records one by one for the house that signed. The accepted keep their order; each
 * rejected one says why. Never throws, whatever the records are.
 */
export function validateRecords(records: readonly unknown[], opts: ValidateOptions): ValidatedRecords {
  const accepted: SyncRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (const r of records) {
    const problem = checkRecord(r, opts);
    if (problem === undefined) {
      accepted.push(r as SyncRecord);
      continue;
    }
    const o = isPlainObject(r) ? r : {};
    rejected.push({
      id: typeof o.id === 'string' && UUID_V7.test(o.id) ? o.id : null,
      stream: typeof o.stream === 'string' && isStream(o.stream) ? o.stream : null,
      seq: typeof o.seq === 'number' && Number.isSafeInteger(o.seq) && o.seq >= 1 ? o.seq : null,
      ...problem,
      ...(problem.reason === RejectReason.WrongHouse ? { house: o.house as string } : {}),
    });
  }
  return { accepted, rejected };
}

/** {@link parseSyncBatch} then {@link validateRecords}. */
export function validateSyncBatch(
  raw: Buffer | string,
  opts: ValidateOptions & BatchLimits,
): ({ ok: true } & ValidatedRecords) | BatchRefusal {
  const batch = parseSyncBatch(raw, opts);
  if (!batch.ok) return batch;
  return { ok: true, ...validateRecords(batch.records, opts) };
}
