/** `POST /api/v1/houses` (cloud admin): registers a house and answers its id and secret, once. */
import type { FastifyPluginAsync } from 'fastify';
import { type Static, Type } from 'typebox';
import { serverTime } from '../../protocol/signing.js';
import type { CloudContext } from '../cloud-context.js';
import { registerHouse, TenancyError } from '../tenancy.js';

export const HOUSES_PATH = '/api/v1/houses';

const HouseBody = Type.Object(
  {
    city: Type.String({ minLength: 1, maxLength: 200 }),
    district: Type.String({ minLength: 1, maxLength: 200 }),
    street: Type.String({ minLength: 1, maxLength: 200 }),
    community: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
type HouseBody = Static<typeof HouseBody>;

export function houseRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: HouseBody }>(HOUSES_PATH, { schema: { body: HouseBody } }, async (req, reply) => {
      if (!(await ctx.requireUser(req, reply, 'admin'))) return reply;
      try {
        const { id, secret } = await registerHouse(ctx.db, req.body, ctx.cloudKey);
        req.log.info({ house: id }, 'house registered');
        return reply.status(201).send({ id, secret, serverTime: serverTime(ctx.now()) });
      } catch (err) {
        if (err instanceof TenancyError) {
          return ctx.refuse(reply, err.code === 'exists' ? 409 : 400, `house-${err.code}`, err.message);
        }
        throw err;
      }
    });
  };
}
