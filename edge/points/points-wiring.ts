import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DeviceEvent } from '../../firmware-bridge/device-events.js';
import type { EdgeBroker } from '../broker/broker.js';
import { deviceTopic } from '../broker/topics.js';
import type { CardService } from '../cards/card-service.js';
import { cardTapHandler } from '../cards/card-tap-handler.js';
import { readerFeedback } from '../cards/reader-feedback.js';
import { ConfigError } from '../config/config.js';
import type { DeviceIntake } from '../devices/device-intake.js';
import type { SseHub } from '../events/sse-hub.js';
import type { EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { StateStore } from '../store/state-store.js';
import { packageRoot } from '../util/package-root.js';
import { loadScheme, type PointsScheme } from './catalogue.js';
import { partyMembers } from './members.js';
import { PointsService } from './points-service.js';
import { catalogueScheme } from './scheme-source.js';

/** Loads the points scheme (LINLI_POINTS_CATALOGUE, or the shipped example) as a configuration error when bad. */
export function pointsScheme(file: string | undefined): PointsScheme {
  const path = file ?? join(packageRoot(), 'edge', 'points', 'catalogue.zh.json');
  try {
    return loadScheme(path);
  } catch (err) {
    throw new ConfigError('LINLI_POINTS_CATALOGUE', (err as Error).message);
  }
}

/**
 * Points in the running edge: the service over the journal, and card taps from any reader
 * answered to the reader (MQTT `feedback`), greeted on the kiosks and shown to staff.
 */
export async function startPoints(deps: {
  schemeFile: string | undefined;
  tz: string;
  records: RecordLog;
  snapshots: SnapshotStore;
  state: StateStore<EdgeState>;
  cards: CardService;
  intake: DeviceIntake;
  broker: EdgeBroker;
  sse: SseHub;
  /** The record log's clock (caps count in the period of a record's time). */
  now?: () => number;
  log: Logger;
}): Promise<PointsService> {
  const { state, broker, sse, log } = deps;
  // Once the edge syncs, the scheme is its config entities (the cloud's); the file holds till then.
  const file = pointsScheme(deps.schemeFile);
  const fromConfig = catalogueScheme(state.data.pointsCatalogue, file);
  if (fromConfig?.problem)
    log.error(
      { problem: fromConfig.problem },
      'the points scheme from the config is unusable: the file holds',
    );
  else if (fromConfig) log.info('points scheme from the config sync (LINLI_POINTS_CATALOGUE is not used)');
  const points = await PointsService.open(
    deps.records,
    deps.snapshots,
    fromConfig && !fromConfig.problem ? fromConfig.scheme : file,
    deps.tz,
    deps.now ?? Date.now,
    (err) => log.error({ err }, 'points snapshot failed'),
  );
  const handler = cardTapHandler(
    deps.cards,
    (id) => state.data.residents.find((r) => r.id === id)?.name,
    deps.records,
    (deviceId, residentId, party) => points.swipe(deviceId, residentId, party),
    (residentId) => points.summary(residentId, partyMembers(state.data)),
    {
      answer: (deviceId, result, reason) => {
        const cmd = readerFeedback(result, reason);
        broker
          .publish(deviceTopic(deviceId, 'cmd'), JSON.stringify(cmd), { qos: 1 })
          .catch((err: unknown) => log.warn({ err, deviceId }, 'feedback to reader failed'));
      },
      greet: (g) => sse.publish('kiosk.greeting', g),
      swiped: (s) => sse.publish('points.swipe', s),
    },
  );
  deps.intake.on('card.tapped', handler as (id: string, e: DeviceEvent) => Promise<void>);
  return points;
}
