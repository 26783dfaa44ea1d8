/** Request bodies of the cloud's admin API over a house's config (routes/config-routes.ts). */
import { type Static, Type } from 'typebox';
import { CONFIG_KINDS } from '../../protocol/config.js';

/** At most this many changes in a batch, and this many bytes of body. */
export const MAX_BATCH_CHANGES = 5000;
export const MAX_BATCH_BODY = 8 * 1024 * 1024;

const Data = Type.Record(Type.String(), Type.Unknown());
export const Base = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Unset = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 });
export const PutBody = Type.Object(
  {
    data: Data,
    base: Type.Optional(Base),
    password: Type.Optional(Type.String({ maxLength: 256 })),
    unset: Type.Optional(Unset),
    rotateSecret: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const BatchBody = Type.Object(
  {
    changes: Type.Array(
      Type.Object(
        {
          kind: Type.Union(CONFIG_KINDS.map((k) => Type.Literal(k))),
          id: Type.String({ maxLength: 64 }),
          op: Type.Optional(Type.Union([Type.Literal('put'), Type.Literal('delete')])),
          data: Type.Optional(Data),
          base: Type.Optional(Base),
          password: Type.Optional(Type.String({ maxLength: 256 })),
          unset: Type.Optional(Unset),
          rotateSecret: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_BATCH_CHANGES },
    ),
  },
  { additionalProperties: false },
);
export type PutBody = Static<typeof PutBody>;
export type BatchBody = Static<typeof BatchBody>;
