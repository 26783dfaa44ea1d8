import { Type } from 'typebox';

/** TypeBox schemas of the HTTP API; they validate requests, shape responses and feed /docs. */
export const ApiErrorSchema = Type.Object(
  { statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() },
  { $id: 'ApiError' },
);

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('staff'), Type.Literal('viewer')]);

export const DeviceTypeSchema = Type.Union(
  ['qr-scanner', 'card-reader', 'help-button', 'help-panel', 'bank-terminal', 'gsm-modem', 'kiosk'].map((t) =>
    Type.Literal(t),
  ),
);
export const TransportSchema = Type.Union(['mqtt', 'serial', 'pcsc', 'http'].map((t) => Type.Literal(t)));

const IdSchema = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

export const NewDeviceSchema = Type.Object(
  {
    id: IdSchema,
    type: DeviceTypeSchema,
    transport: TransportSchema,
    name: Type.Optional(Type.String({ maxLength: 100 })),
    path: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
    dataBits: Type.Optional(Type.Union([5, 6, 7, 8].map((n) => Type.Literal(n)))),
    parity: Type.Optional(Type.Union(['none', 'even', 'odd', 'mark', 'space'].map((p) => Type.Literal(p)))),
    stopBits: Type.Optional(Type.Union([1, 1.5, 2].map((n) => Type.Literal(n)))),
    encoding: Type.Optional(Type.Union([Type.Literal('utf-8'), Type.Literal('gbk')])),
    uidFormat: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('decimal')])),
    reader: Type.Optional(Type.String({ maxLength: 200 })),
    assignedTo: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const CountersSchema = Type.Object({
  events: Type.Integer(),
  errors: Type.Integer(),
  reconnects: Type.Integer(),
});

export const DeviceViewSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  transport: Type.String(),
  name: Type.Optional(Type.String()),
  online: Type.Boolean(),
  lastSeen: Type.Union([Type.String(), Type.Null()]),
  offlineReason: Type.Optional(Type.String()),
  counters: CountersSchema,
  hb: Type.Optional(Type.Integer()),
  fw: Type.Optional(Type.String()),
  battery: Type.Optional(Type.Number()),
  path: Type.Optional(Type.String()),
  baudRate: Type.Optional(Type.Integer()),
  dataBits: Type.Optional(Type.Integer()),
  parity: Type.Optional(Type.String()),
  stopBits: Type.Optional(Type.Number()),
  encoding: Type.Optional(Type.String()),
  uidFormat: Type.Optional(Type.String()),
  reader: Type.Optional(Type.String()),
  assignedTo: Type.Optional(Type.String()),
  createdAt: Type.String(),
});

export const DeviceCreatedSchema = Type.Intersect([
  DeviceViewSchema,
  Type.Object({ password: Type.Optional(Type.String()), token: Type.Optional(Type.String()) }),
]);

export const LoginBodySchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const LoginResponseSchema = Type.Object({
  token: Type.String(),
  expiresAt: Type.String(),
  user: Type.Object({ username: Type.String(), role: RoleSchema }),
});

export const MeSchema = Type.Object({ username: Type.String(), role: RoleSchema });

export const errorResponses = {
  400: ApiErrorSchema,
  401: ApiErrorSchema,
  403: ApiErrorSchema,
  404: ApiErrorSchema,
  409: ApiErrorSchema,
  422: ApiErrorSchema,
  429: ApiErrorSchema,
};
