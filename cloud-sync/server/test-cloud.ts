/**
 * A cloud for tests, on either target (PGlite in memory, or a fresh database on the machine's
 * PostgreSQL): the app through `inject`, a movable clock, houses registered as stand-in edges
 * (test-edge.ts), signed posts, record builders by type, and logins.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Stream, SyncRecord } from '../protocol/record.js';
import { signRequest } from '../protocol/signing.js';
import { buildCloudApp, type CloudAppOptions, HOUSES_PATH, SYNC_RECORDS_PATH } from './app.js';
import type { Db } from './db/db.js';
import { openDb } from './db/open.js';
import type { TestDatabases } from './db/test-targets.js';
import type { HousePlace } from './tenancy.js';
import { T0, TestEdge } from './test-edge.js';

export { T0, TestEdge };

export const KEY = randomBytes(32);
export const ADMIN_PASSWORD = `admin-${randomBytes(12).toString('hex')}`;
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const ADMIN_BASIC = basic('admin', ADMIN_PASSWORD);

export interface Target {
  name: 'pglite' | 'postgres';
  /** A migrated, empty database, and its URL for PostgreSQL. */
  open(): Promise<{ db: Db; url?: string }>;
}

export function targets(databases: TestDatabases): Target[] {
  return [
    { name: 'pglite', open: async () => ({ db: await openDb({}) }) },
    {
      name: 'postgres',
      open: async () => {
        const url = await databases.create();
        return { db: await openDb({ databaseUrl: url }), url };
      },
    },
  ];
}

export interface Answer {
  status: number;
  json: Record<string, unknown> & { serverTime: string };
  headers: Record<string, unknown>;
  raw: string;
}

/** A clock the tests move: `clock.now` ms. */
export class Clock {
  constructor(public now = T0) {}
  readonly read = () => this.now;
}

export class TestCloud {
  private houseN = 0;
  constructor(
    readonly app: FastifyInstance,
    readonly db: Db,
    readonly clock: Clock,
  ) {}

  static async start(db: Db, clock = new Clock(), opts: Partial<CloudAppOptions> = {}): Promise<TestCloud> {
    const app = await buildCloudApp({
      db,
      cloudKey: KEY,
      adminPassword: ADMIN_PASSWORD,
      now: clock.read,
      ...opts,
    });
    return new TestCloud(app, db, clock);
  }

  async request(
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    opts: { headers?: Record<string, string>; payload?: unknown; remoteAddress?: string } = {},
  ): Promise<Answer> {
    const payload =
      opts.payload === undefined || typeof opts.payload === 'string' || Buffer.isBuffer(opts.payload)
        ? opts.payload
        : JSON.stringify(opts.payload);
    const res = await this.app.inject({
      method,
      url,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(payload !== undefined ? { payload: payload as string | Buffer } : {}),
      ...(opts.remoteAddress ? { remoteAddress: opts.remoteAddress } : {}),
    });
    return { status: res.statusCode, json: res.json(), headers: res.headers, raw: res.body };
  }

  /** GET as a user with a session token. */
  get(url: string, token: string): Promise<Answer> {
    return this.request('GET', url, { headers: { authorization: `Bearer ${token}` } });
  }

  async register(place: Partial<HousePlace> = {}): Promise<TestEdge> {
    this.houseN++;
    const r = await this.request('POST', HOUSES_PATH, {
      headers: { authorization: ADMIN_BASIC },
      payload: {
        city: '沈阳市',
        district: '和平区',
        street: '南湖街道',
        community: '文安路社区',
        name: `house ${this.houseN} ${randomBytes(3).toString('hex')}`,
        ...place,
      },
    });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${r.raw}`);
    return new TestEdge(r.json.id as string, r.json.secret as string);
  }

  /** Posts `body` signed by `edge` (or with another secret) to `path`. */
  signedPost(edge: TestEdge, path: string, body: string | Buffer, secret = edge.secret): Promise<Answer> {
    const authorization = signRequest({
      house: edge.house,
      secret,
      method: 'POST',
      pathAndQuery: path,
      body,
      now: this.clock.now,
    });
    return this.request('POST', path, { headers: { authorization }, payload: body });
  }

  async sync(edge: TestEdge, records: SyncRecord[]): Promise<Answer> {
    const r = await this.signedPost(edge, SYNC_RECORDS_PATH, JSON.stringify({ records }));
    if (r.status !== 200) throw new Error(`sync: ${r.status} ${r.raw}`);
    return r;
  }

  async login(username = 'admin', password = ADMIN_PASSWORD, remoteAddress?: string): Promise<string> {
    const r = await this.request('POST', '/api/auth/login', {
      payload: { username, password },
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    if (r.status !== 200) throw new Error(`login: ${r.status} ${r.raw}`);
    return r.json.token as string;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/** A record of `edge` of any type, with its ts (default T0 + seq s) and clock. */
export function rec(
  edge: TestEdge,
  stream: Stream,
  seq: number,
  type: string,
  body: Record<string, unknown>,
  opts: { ts?: number; clock?: 'synced' | 'unsynced' } = {},
): SyncRecord {
  return {
    id: edge.id(stream, seq),
    house: edge.house,
    stream,
    seq,
    type,
    ts: new Date(opts.ts ?? T0 + seq * 1000).toISOString(),
    clock: opts.clock ?? 'synced',
    v: 1,
    body,
  };
}

export { SYNC_RECORDS_PATH };
