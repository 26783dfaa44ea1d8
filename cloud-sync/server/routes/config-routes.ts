/**
 * The cloud's admin API over a house's config bundle (docs/config-sync.md, "Admin API"), for cloud
 * users: `viewer` reads (sensitive fields left out), `staff` also sees them and edits residents,
 * cards, the duty roster, notices and contacts, `admin` edits everything (users and devices too).
 *
 * - `GET    /api/v1/houses/{house}/config` → `{version, counts}`
 * - `GET    /api/v1/houses/{house}/config/{kind}?after=&limit=&deleted=1` → a page by id
 * - `GET    /api/v1/houses/{house}/config/{kind}/{id}` → `{entity}`, `ETag: "<version>"`
 * - `PUT    /api/v1/houses/{house}/config/{kind}/{id}` `{data, base?, password?, unset?, rotateSecret?}`
 *   with `If-Match: "<version>"` (or `base`; `If-None-Match: *` = base 0) → 200/201
 * - `DELETE /api/v1/houses/{house}/config/{kind}/{id}` with `If-Match` (or `?base=`) → 200
 * - `POST   /api/v1/houses/{house}/config/batch` `{changes: [...]}` → all or nothing, one version
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CONFIG_KINDS, type ConfigKind, isConfigKind } from '../../protocol/config.js';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext, CloudRole, CloudUser } from '../cloud-context.js';
import { type AdminChange, type ChangeResult, ConfigAdminError, changeConfig } from '../config-admin.js';
import { configVersion, countEntities, houseExists, listEntities, loadEntities } from '../config-store.js';
import { adminView } from '../config-views.js';
import { configConflictRoutes } from './config-conflict-routes.js';
import { Base, BatchBody, MAX_BATCH_BODY, PutBody } from './config-schemas.js';
import { PRECONDITION_REASONS, precondition } from './precondition.js';

export const CONFIG_ADMIN_PREFIX = '/api/v1/houses/:house/config';

/** Kinds staff may edit; the others need an admin. */
export const STAFF_KINDS: readonly ConfigKind[] = ['resident', 'card', 'duty', 'notice', 'contacts'];
export const editRole = (kind: ConfigKind): CloudRole => (STAFF_KINDS.includes(kind) ? 'staff' : 'admin');

interface HouseParams {
  house: string;
}
interface KindParams extends HouseParams {
  kind: string;
}
interface EntityParams extends KindParams {
  id: string;
}

export function configRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (app) => {
    /** The user (at least `role`) and the house, or undefined once refused. */
    const guard = async (
      req: FastifyRequest<{ Params: HouseParams }>,
      reply: FastifyReply,
      role: CloudRole,
    ): Promise<CloudUser | undefined> => {
      const user = await ctx.requireUser(req, reply, role);
      if (!user) return undefined;
      if (!(await houseExists(ctx.db, req.params.house))) {
        ctx.refuse(reply, 404, 'house-not-found', 'no such house');
        return undefined;
      }
      return user;
    };
    const kindOf = (reply: FastifyReply, kind: string): ConfigKind | undefined => {
      if (isConfigKind(kind)) return kind;
      ctx.refuse(reply, 404, 'config-unknown-kind', `kind is one of ${CONFIG_KINDS.join(', ')}`);
      return undefined;
    };
    const fail = (reply: FastifyReply, err: unknown) => {
      if (!(err instanceof ConfigAdminError)) throw err;
      const body: Record<string, unknown> = {
        serverTime: serverTime(ctx.now()),
        statusCode: err.status,
        code: err.code,
        reason: err.message,
      };
      if (err.problems.length) body.problems = err.problems;
      if (err.stale.length) {
        body.stale = err.stale;
        body.version = err.stale[0]?.version;
      }
      return reply.status(err.status).send(body);
    };
    const by = (user: CloudUser) => `cloud:${user.username}`;

    app.get<{ Params: HouseParams }>(CONFIG_ADMIN_PREFIX, async (req, reply) => {
      if (!(await guard(req, reply, 'viewer'))) return reply;
      const { house } = req.params;
      return {
        serverTime: serverTime(ctx.now()),
        house,
        version: await configVersion(ctx.db, house),
        counts: await countEntities(ctx.db, house),
      };
    });

    await app.register(configConflictRoutes(ctx, guard));

    app.post<{ Params: HouseParams; Body: BatchBody }>(
      `${CONFIG_ADMIN_PREFIX}/batch`,
      { schema: { body: BatchBody }, bodyLimit: MAX_BATCH_BODY },
      async (req, reply) => {
        const changes: AdminChange[] = req.body.changes.map(
          (c) => ({ ...c, op: c.op ?? 'put' }) as AdminChange,
        );
        const role = changes.some((c) => editRole(c.kind) === 'admin') ? 'admin' : 'staff';
        const user = await guard(req, reply, role);
        if (!user) return reply;
        try {
          const r = await changeConfig(ctx.db, ctx.cloudKey, req.params.house, changes, by(user), ctx.now());
          const changed = r.changed.filter(Boolean).length;
          req.log.info(
            { house: req.params.house, version: r.version, changed, by: user.username },
            'config batch',
          );
          return {
            serverTime: serverTime(ctx.now()),
            version: r.version,
            changed,
            unchanged: changes.length - changed,
            credentials: r.credentials,
          };
        } catch (err) {
          return fail(reply, err);
        }
      },
    );

    app.get<{ Params: KindParams; Querystring: { after?: string; limit?: number; deleted?: string } }>(
      `${CONFIG_ADMIN_PREFIX}/:kind`,
      {
        schema: {
          querystring: Type.Object(
            {
              after: Type.Optional(Type.String({ maxLength: 64 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              deleted: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const user = await guard(req, reply, 'viewer');
        if (!user) return reply;
        const kind = kindOf(reply, req.params.kind);
        if (!kind) return reply;
        const limit = req.query.limit ?? 200;
        const page = await listEntities(ctx.db, ctx.cloudKey, req.params.house, kind, {
          ...(req.query.after ? { after: req.query.after } : {}),
          limit,
          deleted: req.query.deleted === '1',
        });
        return {
          serverTime: serverTime(ctx.now()),
          version: page.version,
          kind,
          entities: page.entities.map((e) => adminView(e, user.role)),
          next: page.entities.length === limit ? (page.entities.at(-1)?.id ?? null) : null,
        };
      },
    );

    app.get<{ Params: EntityParams }>(`${CONFIG_ADMIN_PREFIX}/:kind/:id`, async (req, reply) => {
      const user = await guard(req, reply, 'viewer');
      if (!user) return reply;
      const kind = kindOf(reply, req.params.kind);
      if (!kind) return reply;
      const found = await loadEntities(ctx.db, ctx.cloudKey, req.params.house, [{ kind, id: req.params.id }]);
      const e = [...found.values()][0];
      if (!e || e.deleted) return ctx.refuse(reply, 404, 'config-not-found', `no ${kind} with that id`);
      reply.header('etag', `"${e.version}"`);
      return { serverTime: serverTime(ctx.now()), entity: adminView(e, user.role) };
    });

    app.put<{ Params: EntityParams; Body: PutBody }>(
      `${CONFIG_ADMIN_PREFIX}/:kind/:id`,
      { schema: { body: PutBody } },
      async (req, reply) => {
        const kind = kindOf(reply, req.params.kind);
        if (!kind) return reply;
        const user = await guard(req, reply, editRole(kind));
        if (!user) return reply;
        const base = precondition(req, req.body.base);
        if (typeof base === 'string')
          return ctx.refuse(
            reply,
            base === 'missing' ? 428 : 400,
            `config-${base}`,
            PRECONDITION_REASONS[base],
          );
        const { data, password, unset, rotateSecret } = req.body;
        const change: AdminChange = {
          kind,
          id: req.params.id,
          op: 'put',
          data,
          base,
          ...(password !== undefined ? { password } : {}),
          ...(unset ? { unset } : {}),
          ...(rotateSecret !== undefined ? { rotateSecret } : {}),
        };
        try {
          const r = await changeConfig(ctx.db, ctx.cloudKey, req.params.house, [change], by(user), ctx.now());
          return answerOne(reply, r, user.role, req);
        } catch (err) {
          return fail(reply, err);
        }
      },
    );

    app.delete<{ Params: EntityParams; Querystring: { base?: number } }>(
      `${CONFIG_ADMIN_PREFIX}/:kind/:id`,
      {
        schema: {
          querystring: Type.Object({ base: Type.Optional(Base) }, { additionalProperties: false }),
        },
      },
      async (req, reply) => {
        const kind = kindOf(reply, req.params.kind);
        if (!kind) return reply;
        const user = await guard(req, reply, editRole(kind));
        if (!user) return reply;
        const base = precondition(req, req.query.base);
        if (typeof base === 'string')
          return ctx.refuse(
            reply,
            base === 'missing' ? 428 : 400,
            `config-${base}`,
            PRECONDITION_REASONS[base],
          );
        try {
          const change: AdminChange = { kind, id: req.params.id, op: 'delete', base };
          const r = await changeConfig(
            ctx.db,
            ctx.cloudKey,
            req.params.house,
            [change],
            by(user),
            ctx.now(),
            {
              mustExist: true,
            },
          );
          req.log.info(
            { house: req.params.house, kind, id: req.params.id, version: r.version },
            'config deleted',
          );
          return { serverTime: serverTime(ctx.now()), version: r.version };
        } catch (err) {
          return fail(reply, err);
        }
      },
    );

    const answerOne = (
      reply: FastifyReply,
      r: ChangeResult,
      role: CloudRole,
      req: FastifyRequest<{ Params: EntityParams }>,
    ) => {
      const e = r.entities[0];
      if (!e) throw new Error('a change without its entity');
      req.log.info(
        { house: req.params.house, kind: e.kind, id: e.id, version: e.version, changed: r.changed[0] },
        'config put',
      );
      reply.header('etag', `"${e.version}"`);
      const cred = r.credentials[0];
      return reply.status(r.created[0] ? 201 : 200).send({
        serverTime: serverTime(ctx.now()),
        version: r.version,
        changed: r.changed[0] === true,
        entity: adminView(e, role),
        ...(cred?.password ? { password: cred.password } : {}),
        ...(cred?.token ? { token: cred.token } : {}),
      });
    };
  };
}
