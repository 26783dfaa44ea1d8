/**
 * The config downlink and the uplink of local edits, protocol version 1 (DESIGN.md, "Records and
 * sync"; docs/config-sync.md). Pure: types, schemas and checks shared by the cloud and the edge.
 *
 * A house's config is a set of **entities** (`kind` + `id`), each carrying a `version`: the house's
 * bundle version at which it last changed. Every change on the cloud bumps the house's bundle
 * version by one and stamps the changed entities with it.
 *
 * - Downlink: `GET /api/v1/sync/config?since=<version>` (signed, empty body) answers 304 when the
 *   house's bundle is still at `since`, else a {@link ConfigBundle}: every entity whose version is
 *   above `since`, deletions included (`deleted: true`, no `data`). `since=0` is the whole bundle.
 *   The edge applies one bundle atomically.
 * - Uplink: an edit made on the edge is a `registry` record (the audit trail, with `base`, never a
 *   name or a phone) and a {@link ConfigEdit} with the values, posted (signed) to
 *   `POST /api/v1/sync/config/edits`. The cloud applies an edit made on version `base` only if the
 *   entity is still at `base` (0: the entity does not exist in the cloud, or only as a tombstone;
 *   or, with `after`, if the edge's previous edit made its current version); otherwise the cloud's
 *   version wins and the edit is recorded as a conflict, answered with the cloud's `current` entity
 *   so the edge can take it at once. An edit is idempotent by its `edit` id: sent again, it gets
 *   its first outcome again.
 *
 * Sensitive fields ({@link SENSITIVE_FIELDS}) travel in these signed bodies (use HTTPS) and are
 * sealed at rest on both sides; they never appear in records or logs.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { Compile } from 'typebox/compile';

export const CONFIG_PATH = '/api/v1/sync/config';
export const CONFIG_EDITS_PATH = '/api/v1/sync/config/edits';

/**
 * Every answer of the config sync API carries the cloud's time in this header too (ISO-8601 UTC
 * with ms), since a 304 has no body to hold `serverTime`.
 */
export const SERVER_TIME_HEADER = 'x-linli-server-time';

/** The config sync API's own refusals (`{serverTime, statusCode, code, reason}`), beyond `auth-…`. */
export const ConfigRefusalCode = {
  /** 400: `since` is not an integer ≥ 0. */
  BadSince: 'config-bad-since',
  /** 400: `since` is above the house's version (the cloud's store was reset or the edge moved): pull from 0. */
  SinceAhead: 'config-since-ahead',
  /** 400: the edits body is not JSON (UTF-8). */
  EditsNotJson: 'edits-not-json',
  /** 400: the edits body is not `{"edits": [...]}`. */
  EditsMalformed: 'edits-malformed',
  /** 413: more than {@link MAX_EDITS} edits. */
  EditsTooMany: 'edits-too-many',
  /** 413: a body over {@link MAX_EDITS_BYTES}. */
  EditsTooLarge: 'edits-too-large',
} as const;
export type ConfigRefusalCode = (typeof ConfigRefusalCode)[keyof typeof ConfigRefusalCode];

/** At most this many edits per request, and this many bytes of body. */
export const MAX_EDITS = 500;
export const MAX_EDITS_BYTES = 1024 * 1024;

export const CONFIG_KINDS = [
  'resident',
  'card',
  'user',
  'device',
  'activity',
  'goods',
  'points-scheme',
  'duty',
  'notice',
  'contacts',
] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

/** Kinds with a single entity per house, and its fixed id. */
export const SINGLETON_IDS: Partial<Record<ConfigKind, string>> = {
  'points-scheme': 'scheme',
  duty: 'roster',
  contacts: 'contacts',
};

/** Fields sealed at rest (sensitive personal information and secrets): never in a record or a log. */
export const SENSITIVE_FIELDS: Record<ConfigKind, readonly string[]> = {
  resident: [
    'name',
    'phone',
    'address',
    'building',
    'unit',
    'room',
    'emergencyContacts',
    'healthNotes',
    'idNumber',
  ],
  card: [],
  user: ['passwordHash'],
  device: ['secretHash'],
  activity: [],
  goods: [],
  'points-scheme': [],
  duty: ['entries'],
  notice: [],
  contacts: [],
};

const Str = (max: number, min = 0) => Type.String({ minLength: min, maxLength: max });
const Phone = Type.String({ pattern: '^[0-9+() -]{3,32}$' });
const Iso = Type.String({ minLength: 10, maxLength: 40 });
const EntityId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' });

const Resident = Type.Object(
  {
    name: Str(64, 1),
    roles: Type.Array(Str(32, 1), { maxItems: 16 }),
    community: Type.Optional(Str(100)),
    building: Type.Optional(Str(32)),
    unit: Type.Optional(Str(32)),
    room: Type.Optional(Str(32)),
    address: Type.Optional(Str(200)),
    phone: Type.Optional(Phone),
    branch: Type.Optional(Str(100)),
    emergencyContacts: Type.Array(
      Type.Object(
        { name: Str(64, 1), relation: Type.Optional(Str(32)), phone: Phone },
        { additionalProperties: false },
      ),
      { maxItems: 10 },
    ),
    healthNotes: Type.Optional(Str(4000)),
    /** 18 characters, checked by the edge (edge/residents/id-number.ts). */
    idNumber: Type.Optional(Type.String({ pattern: '^[0-9]{17}[0-9X]$' })),
    /** The active QR badge: the SHA-256 digest of its token (base64url), never the token. */
    badge: Type.Optional(
      Type.Object({ digest: Str(64, 16), code: Str(32, 1), issuedAt: Iso }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

const Card = Type.Object(
  {
    residentId: EntityId,
    kind: Type.Union([Type.Literal('resident'), Type.Literal('party')]),
    state: Type.Union([Type.Literal('active'), Type.Literal('lost'), Type.Literal('revoked')]),
    boundAt: Iso,
    changedAt: Iso,
  },
  { additionalProperties: false },
);

const User = Type.Object(
  {
    role: Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('viewer')]),
    /** `scrypt$N$r$p$salt$hash` (password-hash.ts). */
    passwordHash: Type.String({ pattern: '^scrypt\\$' }),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Device = Type.Object(
  {
    type: Type.Union([
      Type.Literal('qr-scanner'),
      Type.Literal('card-reader'),
      Type.Literal('help-button'),
      Type.Literal('help-panel'),
      Type.Literal('bank-terminal'),
      Type.Literal('gsm-modem'),
      Type.Literal('kiosk'),
    ]),
    transport: Type.Union([
      Type.Literal('mqtt'),
      Type.Literal('serial'),
      Type.Literal('pcsc'),
      Type.Literal('http'),
    ]),
    name: Type.Optional(Str(100)),
    path: Type.Optional(Str(200, 1)),
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
    dataBits: Type.Optional(Type.Union([Type.Literal(5), Type.Literal(6), Type.Literal(7), Type.Literal(8)])),
    parity: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('even'),
        Type.Literal('odd'),
        Type.Literal('mark'),
        Type.Literal('space'),
      ]),
    ),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(1.5), Type.Literal(2)])),
    encoding: Type.Optional(Type.Union([Type.Literal('utf-8'), Type.Literal('gbk')])),
    uidFormat: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('decimal')])),
    reader: Type.Optional(Str(200)),
    assignedTo: Type.Optional(Str(200)),
    /** scrypt hash of an MQTT password, or the SHA-256 digest of a kiosk token. */
    secretHash: Type.Optional(Str(300, 1)),
  },
  { additionalProperties: false },
);

const Category = Type.Union([
  Type.Literal('study'),
  Type.Literal('practice'),
  Type.Literal('service'),
  Type.Literal('deduction'),
]);

const Activity = Type.Object(
  {
    name: Str(60, 1),
    category: Category,
    points: Type.Integer({ minimum: -100, maximum: 100 }),
    cap: Type.Optional(
      Type.Object(
        {
          per: Type.Union([Type.Literal('month'), Type.Literal('quarter'), Type.Literal('year')]),
          max: Type.Integer({ minimum: 1, maximum: 1000 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Goods = Type.Object(
  {
    name: Str(60, 1),
    points: Type.Integer({ minimum: 1, maximum: 10_000 }),
    unit: Type.Optional(Str(16)),
  },
  { additionalProperties: false },
);

const PointsScheme = Type.Object(
  {
    name: Type.Optional(Str(100)),
    redeemable: Type.Array(Category, { maxItems: 4 }),
    balance: Type.Union([Type.Literal('rollover'), Type.Literal('reset-yearly')]),
    assessment: Type.Object(
      {
        scope: Type.Union([Type.Literal('branch'), Type.Literal('community')]),
        rules: Type.Array(
          Type.Object(
            {
              flag: Type.String({ pattern: '^[a-z0-9-]{1,20}$' }),
              label: Type.Optional(Str(30, 1)),
              minPoints: Type.Optional(Type.Integer({ minimum: -1000, maximum: 10000 })),
              topPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
            },
            { additionalProperties: false },
          ),
          { minItems: 1, maxItems: 10 },
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Duty = Type.Object(
  {
    entries: Type.Array(
      Type.Object(
        {
          name: Str(64, 1),
          phone: Type.Optional(Phone),
          level: Type.Integer({ minimum: 0, maximum: 9 }),
          from: Type.Optional(HHMM),
          to: Type.Optional(HHMM),
        },
        { additionalProperties: false },
      ),
      { maxItems: 100 },
    ),
  },
  { additionalProperties: false },
);

const Notice = Type.Object(
  {
    title: Str(100, 1),
    body: Str(4000),
    /** Shown from/until (ISO-8601); absent: at once / until removed. */
    from: Type.Optional(Iso),
    until: Type.Optional(Iso),
    pinned: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Contact = Type.Object({ name: Str(64, 1), phone: Phone }, { additionalProperties: false });
const Contacts = Type.Object(
  { community: Type.Optional(Contact), police: Type.Optional(Contact) },
  { additionalProperties: false },
);

/** The schema of each kind's `data`. */
export const CONFIG_DATA_SCHEMAS = {
  resident: Resident,
  card: Card,
  user: User,
  device: Device,
  activity: Activity,
  goods: Goods,
  'points-scheme': PointsScheme,
  duty: Duty,
  notice: Notice,
  contacts: Contacts,
} as const satisfies Record<ConfigKind, TSchema>;

export type ConfigData = { [K in ConfigKind]: Static<(typeof CONFIG_DATA_SCHEMAS)[K]> };
export type ResidentData = ConfigData['resident'];
export type CardData = ConfigData['card'];
export type UserData = ConfigData['user'];
export type DeviceData = ConfigData['device'];
export type ActivityData = ConfigData['activity'];
export type GoodsData = ConfigData['goods'];
export type PointsSchemeData = ConfigData['points-scheme'];
export type DutyData = ConfigData['duty'];
export type NoticeData = ConfigData['notice'];
export type ContactsData = ConfigData['contacts'];

/** One entity as the downlink carries it. */
export interface ConfigEntity<K extends ConfigKind = ConfigKind> {
  kind: K;
  id: string;
  /** The bundle version at which it last changed. */
  version: number;
  /** Present (and `data` absent) when the entity was deleted at `version`. */
  deleted?: true;
  data?: ConfigData[K];
  /** The edge edit that made this version, when one did. */
  edit?: string;
  updatedAt: string;
}

/** `GET /api/v1/sync/config?since=n` → 200. */
export interface ConfigBundle {
  serverTime: string;
  /** The house's bundle version: the next request's `since`. */
  version: number;
  since: number;
  /** Every entity whose version is above `since`, in version order. */
  entities: ConfigEntity[];
}

/** One edit made on the edge. */
export interface ConfigEdit<K extends ConfigKind = ConfigKind> {
  /** A UUID, unique per edit: the id of the `registry` record that audits it. */
  edit: string;
  kind: K;
  id: string;
  /** The entity's version the edit was made on; 0 when the edge made the entity. */
  base: number;
  /**
   * Extension: the id of this edge's previous edit of the same entity, when this one was made on
   * top of it before the cloud had answered it. The cloud then also applies this edit if that edit
   * made the entity's current version (so offline edits in a row do not conflict with each other).
   */
  after?: string;
  op: 'put' | 'delete';
  /** The whole entity after the edit (`put` only). */
  data?: ConfigData[K];
  /** Edge time of the edit (ISO-8601) and who made it (an edge user name). */
  at: string;
  by: string;
}

export type ConfigEditOutcome = 'applied' | 'conflict' | 'rejected';

export interface ConfigEditResult {
  edit: string;
  outcome: ConfigEditOutcome;
  /** applied: the entity's new version; conflict: the cloud's version that won. */
  version?: number;
  /** conflict: the cloud's entity as it stands (deleted or not), for the edge to take. */
  current?: ConfigEntity;
  /** rejected: why (schema, unknown kind…), never quoting the values. */
  reason?: string;
}

/** `POST /api/v1/sync/config/edits` body. */
export interface ConfigEditsBody {
  edits: ConfigEdit[];
}

/** Its 200 answer, one result per edit in the order sent. */
export interface ConfigEditsAnswer {
  serverTime: string;
  /** The house's bundle version after these edits. */
  version: number;
  results: ConfigEditResult[];
}

/** A conflict as both admin pages show it. */
export interface ConfigConflict {
  edit: string;
  kind: ConfigKind;
  id: string;
  base: number;
  /** The cloud's version that won. */
  cloudVersion: number;
  /** When and by whom the edge edit was made, and when the conflict was found. */
  at: string;
  by: string;
  detectedAt: string;
  /** Which fields the lost edit had changed against the winner (names only, never values). */
  fields: string[];
}

export function isConfigKind(k: unknown): k is ConfigKind {
  return typeof k === 'string' && (CONFIG_KINDS as readonly string[]).includes(k);
}

const CHECKERS = Object.fromEntries(
  CONFIG_KINDS.map((k) => [k, Compile(CONFIG_DATA_SCHEMAS[k] as TSchema)]),
) as unknown as Record<ConfigKind, { Check(v: unknown): boolean; Errors(v: unknown): Iterable<unknown> }>;

const EDIT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why an id cannot name an entity of `kind`, or undefined when it can. */
export function checkEntityId(kind: ConfigKind, id: unknown): string | undefined {
  if (typeof id !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(id)) return 'id is not [A-Za-z0-9._:-]{1,64}';
  const single = SINGLETON_IDS[kind];
  if (single !== undefined && id !== single) return `${kind} has the single id ${single}`;
  return undefined;
}

/** Why an entity id or its data does not fit its kind, or undefined when it does. Never quotes a value. */
export function checkEntity(kind: ConfigKind, id: unknown, data: unknown): string | undefined {
  const badId = checkEntityId(kind, id);
  if (badId) return badId;
  const checker = CHECKERS[kind];
  if (!checker.Check(data)) {
    const first = [...checker.Errors(data)][0] as { instancePath?: string; message?: string } | undefined;
    return `${kind} data: ${first?.instancePath || '/'} ${first?.message ?? 'does not match its schema'}`;
  }
  return undefined;
}

/** Why an edit is malformed, or undefined. Never quotes a value. */
export function checkEdit(e: unknown): string | undefined {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'an edit is an object';
  const x = e as Partial<ConfigEdit>;
  if (typeof x.edit !== 'string' || !EDIT_ID.test(x.edit)) return 'edit is not a lower-case UUID';
  if (!isConfigKind(x.kind)) return 'unknown kind';
  if (!Number.isSafeInteger(x.base) || (x.base as number) < 0) return 'base is not an integer ≥ 0';
  if (x.after !== undefined && (typeof x.after !== 'string' || !EDIT_ID.test(x.after) || x.after === x.edit))
    return 'after is not the lower-case UUID of another edit';
  if (typeof x.at !== 'string' || Number.isNaN(Date.parse(x.at))) return 'at is not a time';
  if (typeof x.by !== 'string' || x.by.length === 0 || x.by.length > 64) return 'by is not 1–64 characters';
  if (x.op === 'delete')
    return x.data !== undefined ? 'a delete carries no data' : checkEntityId(x.kind, x.id);
  if (x.op !== 'put') return 'op is put or delete';
  return checkEntity(x.kind, x.id, x.data);
}

/** Splits `data` into its plain fields and its sensitive ones (sealed at rest). */
export function splitSensitive(
  kind: ConfigKind,
  data: Record<string, unknown>,
): { plain: Record<string, unknown>; sensitive: Record<string, unknown> } {
  const plain: Record<string, unknown> = {};
  const sensitive: Record<string, unknown> = {};
  const set = new Set(SENSITIVE_FIELDS[kind]);
  for (const [k, v] of Object.entries(data)) (set.has(k) ? sensitive : plain)[k] = v;
  return { plain, sensitive };
}

/**
 * Names of the fields whose values differ between two versions of an entity's data. Objects
 * compare by content whatever the order of their keys (PostgreSQL's jsonb reorders them).
 */
export function changedFields(a: object | undefined, b: object | undefined): string[] {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k])).sort();
}

/** JSON with every object's keys sorted, so equal values give equal text. */
export function canonicalJson(v: unknown): string | undefined {
  return JSON.stringify(v, (_k, val: unknown) =>
    val !== null && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([p], [q]) => (p < q ? -1 : 1)),
        )
      : val,
  );
}
