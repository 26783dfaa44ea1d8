import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildCloudApp, HOUSES_PATH } from '../../cloud-sync/server/app.js';
import type { Db } from '../../cloud-sync/server/db/db.js';
import { openDb } from '../../cloud-sync/server/db/open.js';
import { SwitchProxy } from './switch-proxy.js';

/**
 * The real cloud app for the edge's config sync tests: in process on PGlite (in memory), listening
 * on a free port, behind a {@link SwitchProxy} the test can cut. Cloud admin calls go straight to
 * it with HTTP Basic (user `admin`).
 */
export class ConfigCloud {
  private constructor(
    readonly app: FastifyInstance,
    readonly db: Db,
    readonly port: number,
    readonly proxy: SwitchProxy,
    private readonly adminAuth: string,
  ) {}

  static async start(): Promise<ConfigCloud> {
    const db = await openDb({});
    const password = `admin-${randomBytes(12).toString('hex')}`;
    const app = await buildCloudApp({ db, cloudKey: randomBytes(32), adminPassword: password });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    const proxy = await SwitchProxy.start(port);
    return new ConfigCloud(
      app,
      db,
      port,
      proxy,
      `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
    );
  }

  /** What the edge is configured with: the proxy's URL. */
  get edgeUrl(): string {
    return this.proxy.url;
  }

  async close(): Promise<void> {
    await this.proxy.close();
    await this.app.close();
    await this.db.close();
  }

  /** A cloud admin request; answers status, JSON and the ETag. */
  async admin<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; etag?: string }> {
    const res = await this.app.inject({
      method,
      url: path,
      headers: {
        authorization: this.adminAuth,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    const etag = res.headers.etag;
    return {
      status: res.statusCode,
      body: (res.body ? JSON.parse(res.body) : null) as T,
      ...(typeof etag === 'string' ? { etag } : {}),
    };
  }

  /** Registers a house; the edge runs as it (LINLI_HOUSE_ID, LINLI_HOUSE_SECRET). */
  async newHouse(name: string): Promise<{ id: string; secret: string }> {
    const r = await this.admin<{ id: string; secret: string }>('POST', HOUSES_PATH, {
      city: '沈阳市',
      district: '和平区',
      street: '南湖街道',
      community: '文安路社区',
      name,
    });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** The entity as the cloud admin sees it, or undefined (404). */
  async entity(house: string, kind: string, id: string): Promise<CloudEntity | undefined> {
    const r = await this.admin<{ entity: CloudEntity }>(
      'GET',
      `/api/v1/houses/${house}/config/${kind}/${id}`,
    );
    return r.status === 200 ? r.body.entity : undefined;
  }

  /** The entity's tombstone (the cloud admin API answers 404 for a deleted one), or undefined. */
  async tombstone(house: string, kind: string, id: string): Promise<CloudEntity | undefined> {
    const r = await this.admin<{ entities: CloudEntity[] }>(
      'GET',
      `/api/v1/houses/${house}/config/${kind}?deleted=1&limit=1000`,
    );
    return r.body.entities?.find((e) => e.id === id && e.deleted);
  }

  /** Puts an entity as a cloud admin on its current version (0 when new). */
  async put(
    house: string,
    kind: string,
    id: string,
    data: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const cur = await this.entity(house, kind, id);
    return this.admin(
      'PUT',
      `/api/v1/houses/${house}/config/${kind}/${id}`,
      { data, ...extra },
      {
        'if-match': `"${cur && !cur.deleted ? cur.version : 0}"`,
      },
    );
  }

  async remove(house: string, kind: string, id: string): Promise<number> {
    const cur = await this.entity(house, kind, id);
    const r = await this.admin('DELETE', `/api/v1/houses/${house}/config/${kind}/${id}`, undefined, {
      'if-match': `"${cur?.version ?? 0}"`,
    });
    return r.status;
  }
}

export interface CloudEntity {
  kind: string;
  id: string;
  version: number;
  deleted?: true;
  edit?: string;
  data?: Record<string, unknown>;
  updatedBy: string | null;
}

/** Polls `fn` until it returns something truthy (or throws after `ms`). */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Edge settings that make the config sync quick in tests. */
export function fastConfigSync(
  cloud: ConfigCloud,
  house: { id: string; secret: string },
): Record<string, string> {
  return {
    LINLI_HOUSE_ID: house.id,
    LINLI_CLOUD_URL: cloud.edgeUrl,
    LINLI_HOUSE_SECRET: house.secret,
    LINLI_CONFIG_SYNC_MS: '200',
    LINLI_CONFIG_BACKOFF_MS: '50',
    LINLI_CONFIG_BACKOFF_MAX_MS: '300',
    LINLI_CONFIG_TIMEOUT_MS: '1500',
  };
}
