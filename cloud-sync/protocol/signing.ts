/**
 * Request signing for the sync API, protocol version 1 (DESIGN.md, "Records and sync"):
 *
 *   Authorization: LINLI-HMAC house=<id>,ts=<unix seconds>,nonce=<16–64 hex>,sig=<hex>
 *   sig = hex(HMAC-SHA256(house secret, `METHOD\nPATH?QUERY\nts\nnonce\nhex(sha256(raw body))`))
 *
 * `PATH?QUERY` is the request target exactly as sent (Node's `req.url`), never a decoded or
 * re-encoded form; without a query it is the path alone. `METHOD` is upper case. The body is the
 * raw bytes on the wire (empty for a GET). Pure functions: the house secrets and the nonce log
 * are the caller's (a database on the cloud), passed in as hooks.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_SCHEME = 'LINLI-HMAC';

/** Requests whose `ts` is further than this from the cloud's clock are refused (±5 min). */
export const DEFAULT_CLOCK_WINDOW_MS = 5 * 60_000;

/** A header longer than this is refused before it is parsed. */
export const MAX_AUTHORIZATION_LENGTH = 512;

/** Same as the edge's house ids (edge/store/record-log.ts). */
const HOUSE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const TS = /^(?:0|[1-9][0-9]{0,11})$/;
const NONCE = /^[0-9a-fA-F]{16,64}$/;
const SIG = /^[0-9a-fA-F]{64}$/;
const PARAM_NAMES = ['house', 'ts', 'nonce', 'sig'] as const;

/** Why a request was refused; stable codes, each answered 401 by the server. */
export const AuthRefusalCode = {
  /** No header, another scheme, a missing, repeated, unknown or ill-formed parameter. */
  Malformed: 'auth-malformed',
  /** The header names a house the cloud does not know. */
  UnknownHouse: 'auth-unknown-house',
  /** `ts` is outside the clock window; the answer's `serverTime` lets the edge correct itself. */
  ClockSkew: 'auth-clock-skew',
  /** The signature does not match this method, target, time, nonce and body. */
  BadSignature: 'auth-bad-signature',
  /** The nonce was already used by this house within the clock window. */
  Replayed: 'auth-replayed',
} as const;
export type AuthRefusalCode = (typeof AuthRefusalCode)[keyof typeof AuthRefusalCode];

export interface AuthorizationFields {
  house: string;
  /** Unix seconds. */
  ts: number;
  /** Lower-case hex, as it is recorded against replay. */
  nonce: string;
  /** Lower-case hex, 64 digits. */
  sig: string;
  /** The `ts` and `nonce` exactly as written in the header: the signed text uses these. */
  raw: { ts: string; nonce: string };
}

export type AuthRefusal = { ok: false; code: AuthRefusalCode; reason: string };

export interface SignRequestInput {
  house: string;
  secret: Buffer | string;
  method: string;
  /** The request target as it will be sent: `/api/v1/sync/config?since=3`. */
  pathAndQuery: string;
  body: Buffer | string;
  /** The edge's wall clock, ms. */
  now: number;
  /** What to add to `now` to get the cloud's time (see {@link clockOffsetFromAnswer}). */
  offsetMs?: number;
  /** 16–64 hex digits; 32 random hex digits by default. */
  nonce?: string;
}

export interface VerifyRequestInput {
  header: unknown;
  method: string;
  /** Node's `req.url`, untouched. */
  pathAndQuery: string;
  /** The raw body bytes, before any parsing. */
  body: Buffer | string;
  /** The cloud's clock, ms. */
  now: number;
  /** ±window around `now`; {@link DEFAULT_CLOCK_WINDOW_MS} by default. */
  windowMs?: number;
  secretFor: (house: string) => Promise<Buffer | undefined>;
  /**
   * Records (house, nonce) and tells whether it was already recorded. Called only for a request
   * whose signature and time are good. Keep a nonce at least until {@link nonceExpiresAt}; with
   * several cloud instances the log must be shared (one atomic insert-or-conflict).
   */
  nonceSeen: (house: string, nonce: string, ts: number) => Promise<boolean>;
}

export type VerifyResult = { ok: true; house: string } | AuthRefusal;

/** Hex SHA-256 of the raw body. */
export function bodyDigest(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The text the signature covers. */
export function stringToSign(
  method: string,
  pathAndQuery: string,
  ts: string,
  nonce: string,
  body: Buffer | string,
): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${ts}\n${nonce}\n${bodyDigest(body)}`;
}

function hmac(secret: Buffer | string, text: string): Buffer {
  return createHmac('sha256', secret).update(text, 'utf8').digest();
}

/** The `Authorization` header value for a request; the edge passes the clock offset it learned. */
export function signRequest(input: SignRequestInput): string {
  if (!HOUSE_ID.test(input.house)) throw new RangeError('house id must match [A-Za-z0-9._-]{1,64}');
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  if (!NONCE.test(nonce)) throw new RangeError('nonce must be 16–64 hex digits');
  const ts = String(Math.floor((input.now + (input.offsetMs ?? 0)) / 1000));
  if (!TS.test(ts)) throw new RangeError('time must be a non-negative number of ms');
  const sig = hmac(input.secret, stringToSign(input.method, input.pathAndQuery, ts, nonce, input.body));
  return `${AUTH_SCHEME} house=${input.house},ts=${ts},nonce=${nonce},sig=${sig.toString('hex')}`;
}

function malformed(reason: string): AuthRefusal {
  return { ok: false, code: AuthRefusalCode.Malformed, reason };
}

/**
 * Parses an `Authorization` header value (anything: a missing header is `undefined`). The scheme
 * is case-insensitive (RFC 9110); the four parameters appear once each, in any order, separated by
 * commas with optional spaces. Never throws.
 */
export function parseAuthorization(header: unknown): { ok: true; fields: AuthorizationFields } | AuthRefusal {
  if (typeof header !== 'string') return malformed('no Authorization header');
  if (header.length > MAX_AUTHORIZATION_LENGTH) return malformed('Authorization header too long');
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toUpperCase() !== AUTH_SCHEME) {
    return malformed(`Authorization scheme is not ${AUTH_SCHEME}`);
  }
  const params = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq < 0) return malformed('Authorization parameter without "="');
    const name = item.slice(0, eq);
    if (!(PARAM_NAMES as readonly string[]).includes(name))
      return malformed('unknown Authorization parameter');
    if (params.has(name)) return malformed(`Authorization parameter ${name} repeated`);
    params.set(name, item.slice(eq + 1));
  }
  const house = params.get('house');
  const ts = params.get('ts');
  const nonce = params.get('nonce');
  const sig = params.get('sig');
  if (house === undefined || ts === undefined || nonce === undefined || sig === undefined) {
    return malformed(`Authorization needs ${PARAM_NAMES.join(', ')}`);
  }
  if (!HOUSE_ID.test(house)) return malformed('house must match [A-Za-z0-9._-]{1,64}');
  if (!TS.test(ts)) return malformed('ts must be unix seconds');
  if (!NONCE.test(nonce)) return malformed('nonce must be 16–64 hex digits');
  if (!SIG.test(sig)) return malformed('sig must be 64 hex digits');
  return {
    ok: true,
    fields: {
      house,
      ts: Number(ts),
      nonce: nonce.toLowerCase(),
      sig: sig.toLowerCase(),
      raw: { ts, nonce },
    },
  };
}

/** Until when (ms) a nonce used with `ts` must be remembered: it is refused by the clock after. */
export function nonceExpiresAt(ts: number, windowMs = DEFAULT_CLOCK_WINDOW_MS): number {
  return ts * 1000 + windowMs;
}

/**
 * Verifies a signed request. Cheapest checks first, and nothing is recorded before the signature
 * is known good: header syntax → clock window → house secret (a lookup) → signature (constant
 * time) → nonce (recorded). Never throws on bad input; rejects only if a hook does.
 */
export async function verifyRequest(input: VerifyRequestInput): Promise<VerifyResult> {
  const parsed = parseAuthorization(input.header);
  if (!parsed.ok) return parsed;
  const { house, ts, nonce, sig, raw } = parsed.fields;
  const windowMs = input.windowMs ?? DEFAULT_CLOCK_WINDOW_MS;
  const skewMs = ts * 1000 - input.now;
  if (!(Math.abs(skewMs) <= windowMs)) {
    return {
      ok: false,
      code: AuthRefusalCode.ClockSkew,
      reason: `ts is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs < 0 ? 'behind' : 'ahead of'} the cloud's clock (window ±${windowMs / 1000} s)`,
    };
  }
  const secret = await input.secretFor(house);
  if (secret === undefined) return { ok: false, code: AuthRefusalCode.UnknownHouse, reason: 'unknown house' };
  const expected = hmac(
    secret,
    stringToSign(input.method, input.pathAndQuery, raw.ts, raw.nonce, input.body),
  );
  if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) {
    return { ok: false, code: AuthRefusalCode.BadSignature, reason: 'signature does not match the request' };
  }
  if (await input.nonceSeen(house, nonce, ts)) {
    return { ok: false, code: AuthRefusalCode.Replayed, reason: 'nonce already used' };
  }
  return { ok: true, house };
}

/** The `serverTime` every cloud answer carries: ISO-8601 UTC with milliseconds. */
export function serverTime(now: number): string {
  return new Date(now).toISOString();
}

/**
 * What the edge adds to its clock to get the cloud's, learned from an answer's `serverTime`: the
 * server read its clock about half-way between sending and receiving, so the offset is measured
 * against the midpoint (error at most half the round trip). `undefined` if `serverTime` is not an
 * ISO-8601 UTC time or the times are not finite.
 */
export function clockOffsetFromAnswer(answer: {
  serverTime: unknown;
  sentAt: number;
  receivedAt: number;
}): number | undefined {
  const { serverTime: st, sentAt, receivedAt } = answer;
  if (typeof st !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(st))
    return undefined;
  const server = Date.parse(st);
  if (!Number.isFinite(server) || !Number.isFinite(sentAt) || !Number.isFinite(receivedAt)) return undefined;
  return Math.round(server - (sentAt + Math.max(0, receivedAt - sentAt) / 2));
}
