/**
 * The city views (issue 5), for cloud users of any role (viewer and up); every answer is JSON with
 * `serverTime`, lists are paged (`limit` ≤ 500, `offset`) and filtered by place (`city`,
 * `district`, `street`, `community` by name, `house` by id):
 *
 * - `GET /api/v1/city/houses` (city/house-view.ts)
 * - `GET /api/v1/city/devices` (city/device-view.ts)
 * - `GET /api/v1/city/alarms` (city/alarm-view.ts)
 * - `GET /api/v1/city/rankings` (city/ranking-view.ts)
 * - `GET /api/v1/city/records-per-day` (city/daily-view.ts)
 * - `GET /api/v1/city/places` (city/place-view.ts)
 *
 * They read the projections ingest keeps (projections/), never the records themselves.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from 'typebox';
import { serverTime } from '../../protocol/signing.js';
import { AlarmQuery, alarmView } from '../city/alarm-view.js';
import { DailyQuery, dailyView } from '../city/daily-view.js';
import { DeviceQuery, deviceView } from '../city/device-view.js';
import { HouseQuery, houseView } from '../city/house-view.js';
import { placeView } from '../city/place-view.js';
import { RankingQuery, rankingView } from '../city/ranking-view.js';
import type { CloudContext } from '../cloud-context.js';

export const CITY_PATH = '/api/v1/city';

export function cityRoutes(ctx: CloudContext): FastifyPluginAsync {
  return async (app) => {
    /** One view: the query checked by its schema, a viewer at least, the answer with serverTime. */
    const view = <Q>(
      path: string,
      querystring: TSchema | undefined,
      answer: (q: Q, now: number) => Promise<object>,
    ) =>
      app.get(
        `${CITY_PATH}/${path}`,
        querystring ? { schema: { querystring } } : {},
        async (req: FastifyRequest, reply: FastifyReply) => {
          if (!(await ctx.requireUser(req, reply, 'viewer'))) return reply;
          const now = ctx.now();
          return { serverTime: serverTime(now), ...(await answer(req.query as Q, now)) };
        },
      );
    view<HouseQuery>('houses', HouseQuery, (q, now) => houseView(ctx.db, q, now));
    view<DeviceQuery>('devices', DeviceQuery, (q) => deviceView(ctx.db, q));
    view<AlarmQuery>('alarms', AlarmQuery, (q, now) => alarmView(ctx.db, q, now));
    view<RankingQuery>('rankings', RankingQuery, (q, now) => rankingView(ctx.db, q, now));
    view<DailyQuery>('records-per-day', DailyQuery, (q, now) => dailyView(ctx.db, q, now));
    view<object>('places', undefined, () => placeView(ctx.db));
  };
}
