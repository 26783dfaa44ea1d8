import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import QRCode from 'qrcode';
import { Type } from 'typebox';
import { auditOf, type TrackedEdit, trackEdit } from '../../config-sync/track-edit.js';
import { LinliError } from '../../errors.js';
import { IMPORT_MAX_BYTES, IMPORT_MAX_ROWS } from '../../residents/import-read.js';
import type { ImportReport } from '../../residents/import-types.js';
import type { AppDeps } from '../app-deps.js';
import { requireRole } from '../auth-guard.js';
import { ApiErrorSchema, errorResponses } from '../schemas.js';
import type { TypedApp } from '../typed-app.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });
const Phone = Type.String({ pattern: '^\\+?[0-9-]{3,20}$' });
const Contact = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    relation: Type.Optional(Type.String({ maxLength: 32 })),
    phone: Phone,
  },
  { additionalProperties: false },
);
const Fields = {
  name: Type.String({ minLength: 1, maxLength: 64 }),
  address: Type.Optional(Type.String({ maxLength: 200 })),
  community: Type.Optional(Type.String({ maxLength: 64 })),
  building: Type.Optional(Type.String({ maxLength: 32 })),
  unit: Type.Optional(Type.String({ maxLength: 32 })),
  room: Type.Optional(Type.String({ maxLength: 32 })),
  phone: Type.Optional(Type.Union([Phone, Type.Literal('')])),
  roles: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z-]{1,32}$' }), { maxItems: 10 })),
  branch: Type.Optional(Type.String({ maxLength: 64 })),
  emergencyContacts: Type.Optional(Type.Array(Contact, { maxItems: 10 })),
  healthNotes: Type.Optional(Type.String({ maxLength: 4000 })),
  idNumber: Type.Optional(
    Type.String({
      maxLength: 32,
      description: '居民身份证号 (18 characters, GB 11643 check digit); sealed at rest, answered masked only',
    }),
  ),
};
const ResidentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.Optional(Type.String()),
  community: Type.Optional(Type.String()),
  building: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
  room: Type.Optional(Type.String()),
  phone: Type.Optional(Type.String()),
  roles: Type.Array(Type.String()),
  branch: Type.Optional(Type.String()),
  emergencyContacts: Type.Array(Contact),
  healthNotes: Type.Optional(Type.String()),
  idNumberMasked: Type.Optional(
    Type.String({ description: '`2101**********1234`: first 4 and last 4 only' }),
  ),
  badge: Type.Optional(Type.Object({ code: Type.String(), issuedAt: Type.String() })),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const ImportProblemSchema = Type.Object({
  row: Type.Optional(Type.Integer()),
  line: Type.Optional(Type.Integer()),
  field: Type.Optional(Type.String()),
  column: Type.Optional(Type.Integer()),
  code: Type.String(),
  message: Type.String(),
  otherRow: Type.Optional(Type.Integer()),
  otherLine: Type.Optional(Type.Integer()),
  residentId: Type.Optional(Type.String()),
});
const ImportReportSchema = Type.Object({
  format: Type.String(),
  encoding: Type.String(),
  bom: Type.Boolean(),
  dryRun: Type.Boolean(),
  applied: Type.Boolean(),
  rows: Type.Integer(),
  refusedRows: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  cardsBound: Type.Integer(),
  problems: Type.Array(ImportProblemSchema),
  outcomes: Type.Array(
    Type.Object({
      row: Type.Integer(),
      line: Type.Optional(Type.Integer()),
      id: Type.String(),
      action: Type.String(),
      fields: Type.Array(Type.String()),
      card: Type.Optional(Type.Object({ uid: Type.String(), kind: Type.String(), action: Type.String() })),
    }),
  ),
});

/** Import counters on the edge's registry: files by outcome, refused rows by reason (no values). */
function importMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    files: counter('linli_resident_imports_total', 'Resident imports by outcome', ['outcome']),
    problems: counter(
      'linli_resident_import_problems_total',
      'Reasons rows (or headers) of resident imports were refused',
      ['reason'],
    ),
  };
}
const ContactsSchema = Type.Object(
  {
    community: Type.Optional(Type.Object({ name: Type.String({ maxLength: 64 }), phone: Phone })),
    police: Type.Optional(Type.Object({ name: Type.String({ maxLength: 64 }), phone: Phone })),
  },
  { additionalProperties: false },
);

/** Residents (elders), their QR badges, and the public contact numbers badges show. */
export async function residentRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  const { users, residents, state } = deps;
  const counted = importMetrics(deps.metrics.registry);
  const badgeUrl = (token: string) => `${deps.publicBase()}/p/badge/${token}`;
  const by = (s?: { username: string }) => s?.username ?? '?';
  app.get(
    '/api/residents',
    {
      schema: { tags: ['residents'], response: { 200: Type.Array(ResidentView), ...errorResponses } },
      preHandler: requireRole(users, 'staff'),
    },
    async () => residents.list(),
  );
  app.get(
    '/api/residents/:id',
    {
      schema: {
        tags: ['residents'],
        description: 'With the health notes (staff only).',
        params: Type.Object({ id: Id }),
        response: { 200: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req) => residents.get(req.params.id, true),
  );
  app.post(
    '/api/residents',
    {
      schema: {
        tags: ['residents'],
        body: Type.Object({ id: Id, ...Fields }, { additionalProperties: false }),
        response: { 201: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => reply.status(201).send(await residents.create(req.body, by(req.session))),
  );
  app.patch(
    '/api/residents/:id',
    {
      schema: {
        tags: ['residents'],
        params: Type.Object({ id: Id }),
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: ResidentView, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => residents.update(req.params.id, req.body, by(req.session)),
  );
  // The import takes raw bytes of any type (its own parser, in a context of its own) and decodes them itself.
  await app.register((plain, _opts, done) => {
    const sub = plain.withTypeProvider<TypeBoxTypeProvider>();
    sub.removeAllContentTypeParsers();
    sub.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: IMPORT_MAX_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    sub.setErrorHandler((err: FastifyError) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        counted.files.inc({ outcome: 'too-large' });
        throw new LinliError('IMPORT_TOO_LARGE', `an import file may hold at most ${IMPORT_MAX_BYTES} bytes`);
      }
      if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        throw new LinliError('IMPORT_INVALID', 'send the file as the request body');
      }
      throw err;
    });
    sub.post(
      '/api/residents/import',
      {
        schema: {
          tags: ['residents'],
          description:
            `Residents and cards from a CSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM) or JSON file, ` +
            `as the raw body (text/csv, application/json, or anything: detected). All rows or none: any refused row ` +
            `gives 422 IMPORT_REFUSED with the report and changes nothing. dryRun=1: the report only. ` +
            `At most ${IMPORT_MAX_BYTES} bytes and ${IMPORT_MAX_ROWS} rows (413 IMPORT_TOO_LARGE).`,
          querystring: Type.Object({
            dryRun: Type.Optional(
              Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')]),
            ),
          }),
          response: {
            200: ImportReportSchema,
            ...errorResponses,
            413: ApiErrorSchema,
            422: Type.Object({
              statusCode: Type.Integer(),
              code: Type.String(),
              error: Type.String(),
              message: Type.String(),
              report: Type.Optional(ImportReportSchema),
            }),
          },
        },
        // Before the body is read: a stranger's upload is not even parsed.
        onRequest: requireRole(users, 'admin'),
      },
      async (req, reply) => {
        const dryRun = req.query.dryRun === '1' || req.query.dryRun === 'true';
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (body.length === 0) throw new LinliError('IMPORT_INVALID', 'send the file as the request body');
        let report: ImportReport;
        try {
          report = await residents.import(body, req.headers['content-type'], { dryRun, by: by(req.session) });
        } catch (err) {
          if (err instanceof LinliError && err.code.startsWith('IMPORT_')) {
            counted.files.inc({ outcome: err.code === 'IMPORT_TOO_LARGE' ? 'too-large' : 'unreadable' });
          }
          throw err;
        }
        for (const p of report.problems) counted.problems.inc({ reason: p.code });
        if (report.problems.length > 0 && !dryRun) {
          counted.files.inc({ outcome: 'refused' });
          return reply.status(422).send({
            statusCode: 422,
            code: 'IMPORT_REFUSED',
            error: 'Unprocessable Entity',
            message: `${report.refusedRows} of ${report.rows} rows refused${report.problems.some((p) => p.row === undefined) ? ', and the header' : ''}: nothing was imported`,
            report,
          });
        }
        counted.files.inc({ outcome: dryRun ? 'dry-run' : report.applied ? 'applied' : 'unchanged' });
        return report;
      },
    );
    done();
  });
  app.post(
    '/api/residents/:id/badge',
    {
      schema: {
        tags: ['residents'],
        description:
          'Issues a new QR badge; the previous one is dead from now on. The URL carries an opaque token only.',
        params: Type.Object({ id: Id }),
        response: { 201: Type.Object({ code: Type.String(), url: Type.String() }), ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      const { token, code } = await residents.issueBadge(req.params.id, by(req.session));
      return reply.status(201).send({ code, url: badgeUrl(token) });
    },
  );
  app.delete(
    '/api/residents/:id/badge',
    {
      schema: { tags: ['residents'], params: Type.Object({ id: Id }) },
      preHandler: requireRole(users, 'admin'),
    },
    async (req, reply) => {
      await residents.revokeBadge(req.params.id, by(req.session));
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/residents/:id/badge.:format',
    {
      schema: {
        tags: ['residents'],
        description: 'The printable badge QR code, SVG or PNG.',
        params: Type.Object({ id: Id, format: Type.Union([Type.Literal('svg'), Type.Literal('png')]) }),
      },
      preHandler: requireRole(users, 'staff'),
    },
    async (req, reply) => {
      const url = badgeUrl(residents.badgeToken(req.params.id));
      reply.header('cache-control', 'no-store');
      if (req.params.format === 'svg') {
        return reply
          .type('image/svg+xml')
          .send(await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }));
      }
      return reply
        .type('image/png')
        .send(await QRCode.toBuffer(url, { type: 'png', errorCorrectionLevel: 'M', margin: 2, scale: 8 }));
    },
  );
  app.get(
    '/api/settings/contacts',
    { schema: { tags: ['residents'], response: { 200: ContactsSchema } } },
    async () => state.data.contacts,
  );
  app.put(
    '/api/settings/contacts',
    {
      schema: {
        tags: ['residents'],
        body: ContactsSchema,
        response: { 200: ContactsSchema, ...errorResponses },
      },
      preHandler: requireRole(users, 'admin'),
    },
    async (req) => {
      const by = req.session?.username ?? '?';
      let tracked: TrackedEdit | undefined;
      await state.update((d) => {
        d.contacts = req.body;
        tracked = trackEdit(d, 'contacts', 'contacts', 'put', by, new Date().toISOString());
      });
      await deps.records.append('registry', 'contacts.replaced', {
        entity: 'contacts',
        id: 'contacts',
        fields: Object.keys(req.body),
        by,
        ...(tracked ? auditOf(tracked) : {}),
      });
      return state.data.contacts;
    },
  );
}
