/**
 * A cloud for the config tests: the app on a target (PGlite in memory or a fresh PostgreSQL
 * database), the cloud admin, registered houses and signed requests as an edge makes them.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { signRequest } from '../protocol/signing.js';
import { buildCloudApp, HOUSES_PATH } from './app.js';
import { type CloudRole, type CloudUser, type CloudUserAuth, roleAtLeast } from './cloud-context.js';
import type { Db } from './db/db.js';
import { openDb } from './db/open.js';
import type { TestDatabases } from './db/test-targets.js';
import { T0, TestEdge } from './test-edge.js';

export interface CloudTarget {
  name: 'pglite' | 'postgres';
  /** A migrated, empty database, and its URL for PostgreSQL. */
  open(): Promise<{ db: Db; url?: string }>;
}

export function cloudTargets(databases: TestDatabases): CloudTarget[] {
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
  json: Record<string, unknown>;
  raw: string;
  headers: Record<string, unknown>;
}

export const KEY = randomBytes(32);
export const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const ADMIN_AUTH = basic('admin', ADMIN);

/**
 * Cloud users for the tests, over HTTP Basic: the first admin and one user of each lower role
 * (the cloud's own user store comes with another part of issue 5; the routes see only
 * {@link CloudUserAuth}).
 */
export const USERS: Record<string, { password: string; role: CloudRole }> = {
  admin: { password: ADMIN, role: 'admin' },
  staff1: { password: `staff-${randomBytes(8).toString('hex')}`, role: 'staff' },
  viewer1: { password: `viewer-${randomBytes(8).toString('hex')}`, role: 'viewer' },
};
export const auth = (user: keyof typeof USERS) => basic(user, USERS[user]?.password ?? '');

function testUserAuth(now: () => number): CloudUserAuth {
  const identifyUser = async (req: FastifyRequest): Promise<CloudUser | undefined> => {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [name, ...rest] = Buffer.from(m?.[1] ?? '', 'base64')
      .toString('utf8')
      .split(':');
    const u = name ? USERS[name] : undefined;
    return u && u.password === rest.join(':') ? { username: name as string, role: u.role } : undefined;
  };
  const refuse = (reply: FastifyReply, statusCode: number, code: string, reason: string) =>
    reply.status(statusCode).send({ serverTime: new Date(now()).toISOString(), statusCode, code, reason });
  return {
    identifyUser,
    requireUser: async (req, reply, role) => {
      const user = await identifyUser(req);
      if (!user) {
        refuse(reply, 401, 'auth-required', 'log in');
        return undefined;
      }
      if (!roleAtLeast(user.role, role)) {
        refuse(reply, 403, 'auth-role', `role ${role} is required`);
        return undefined;
      }
      return user;
    },
  };
}

/** One app on `db` with a clock the test moves (`cloud.clock`). */
export class TestCloud {
  clock = T0;
  private houseN = 0;
  private constructor(
    readonly app: FastifyInstance,
    readonly db: Db,
  ) {}

  /** An app on `db`; a second one on the same PostgreSQL is another instance sharing nothing. */
  static async start(db: Db): Promise<TestCloud> {
    let cloud: TestCloud | undefined;
    const now = () => cloud?.clock ?? T0;
    const app = await buildCloudApp({
      db,
      cloudKey: KEY,
      adminPassword: ADMIN,
      now,
      userAuth: testUserAuth(now),
    });
    cloud = new TestCloud(app, db);
    cloud.houseN = Number.parseInt(randomBytes(3).toString('hex'), 16);
    return cloud;
  }

  async request(opts: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    url: string;
    headers?: Record<string, string>;
    payload?: Buffer | string | object;
  }): Promise<Answer> {
    const payload =
      opts.payload === undefined || typeof opts.payload === 'string' || Buffer.isBuffer(opts.payload)
        ? opts.payload
        : JSON.stringify(opts.payload);
    const res = await this.app.inject({
      method: opts.method ?? 'GET',
      url: opts.url,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    let json: Record<string, unknown> = {};
    try {
      json = res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
    } catch {
      // an HTML page or an empty 304
    }
    return { status: res.statusCode, json, raw: res.body, headers: res.headers };
  }

  /** Registers a house and returns it as an edge that signs its requests. */
  async newHouse(): Promise<TestEdge> {
    this.houseN++;
    const r = await this.request({
      method: 'POST',
      url: HOUSES_PATH,
      headers: { authorization: ADMIN_AUTH },
      payload: {
        city: '沈阳市',
        district: '和平区',
        street: '南湖街道',
        community: '文安路社区',
        name: `house ${this.houseN}`,
      },
    });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${r.raw}`);
    return new TestEdge(r.json.id as string, r.json.secret as string);
  }

  /** A request signed by `edge` (a GET's body is empty). */
  async signed(
    edge: TestEdge,
    method: 'GET' | 'POST',
    pathAndQuery: string,
    body: string | Buffer = '',
    at = this.clock,
  ): Promise<Answer> {
    const authorization = signRequest({
      house: edge.house,
      secret: edge.secret,
      method,
      pathAndQuery,
      body,
      now: at,
    });
    return this.request({
      method,
      url: pathAndQuery,
      headers: { authorization },
      ...(method === 'POST' ? { payload: body } : {}),
    });
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
