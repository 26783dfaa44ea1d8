import type { Logger } from 'pino';
import { ConfigClient } from '../../cloud-sync/client/config-client.js';
import type { ConfigSyncStatusView } from '../api/types.js';
import type { EdgeConfig } from '../config/config.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SseHub } from '../events/sse-hub.js';
import { NoticeService } from '../notices/notice-service.js';
import type { PointsService } from '../points/points-service.js';
import type { PointsScheme } from '../points/points-types.js';
import { pointsScheme } from '../points/points-wiring.js';
import { catalogueScheme } from '../points/scheme-source.js';
import type { EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';
import { ENROL_BY } from './bundle-apply.js';
import { EdgeConfigStore } from './edge-config-store.js';
import type { ResidentKeys } from './resident-mapping.js';
import type { ConfigChanges } from './take-entity.js';

/** The config sync as the rest of the edge sees it (HTTP routes, the composition root). */
export interface ConfigSync {
  store: EdgeConfigStore;
  notices: NoticeService;
  status(): ConfigSyncStatusView;
  /** Ends the client's wait: a round runs now (no-op when the edge works alone). */
  kick(): void;
  stop(): Promise<void>;
}

export interface ConfigSyncDeps {
  config: Readonly<EdgeConfig>;
  state: StateStore<EdgeState>;
  keys: ResidentKeys;
  records: RecordLog;
  registry: DeviceRegistry;
  points: PointsService;
  sse: SseHub;
  /** Told the clock offset each cloud answer teaches (the edge's record clock follows it). */
  onClockOffset?: (offsetMs: number) => void;
  log: Logger;
}

/**
 * The edge's config sync (docs/config-sync.md, "On the edge"): notices (kept and edited here even
 * when the edge works alone), the store of versions and pending edits, and — only when
 * LINLI_CLOUD_URL and LINLI_HOUSE_SECRET are set — first-contact enrolment and the client loop.
 * What the cloud changes reaches the services that derive from it: device drivers start and stop,
 * the points service takes the new scheme, kiosk screens reload their notices.
 */
export async function startConfigSync(deps: ConfigSyncDeps): Promise<ConfigSync> {
  const { config, state, records, registry, points, sse } = deps;
  const log = deps.log.child({ part: 'config-sync' });
  const store = new EdgeConfigStore(state, deps.keys);
  const notices = new NoticeService(state, records);
  notices.on('changed', () => sse.publish('kiosk.notices', { at: new Date().toISOString() }));

  let file: PointsScheme | undefined;
  let pointsProblem: string | undefined;
  const onChanged = (c: ConfigChanges) => {
    log.info({ taken: c.taken }, 'config from the cloud taken');
    registry.followCloud(c.devices);
    if (c.notices) notices.changedElsewhere();
    if (!c.points) return;
    file ??= pointsScheme(config.pointsCatalogue);
    const made = catalogueScheme(state.data.pointsCatalogue, file);
    if (!made) return;
    pointsProblem = made.problem;
    if (made.problem) {
      log.error(
        { problem: made.problem },
        'the points scheme from the cloud is unusable: the previous one holds',
      );
      return;
    }
    points
      .useScheme(made.scheme)
      .catch((err: unknown) => log.error({ err }, 'taking the new points scheme failed'));
  };
  store.on('changed', onChanged);

  const cloudUrl = config.cloudUrl;
  const secret = config.houseSecret;
  let client: ConfigClient | undefined;
  let unsubscribe = () => {};
  if (cloudUrl && secret) {
    const enrolled = await store.enrol(points.scheme);
    if (Object.keys(enrolled).length > 0) {
      await records.append('registry', 'config.enrolled', { kinds: enrolled, by: ENROL_BY });
      log.info({ kinds: enrolled }, 'first contact: what the edge made alone goes up to the cloud');
    }
    const c = new ConfigClient({
      cloudUrl,
      house: config.houseId,
      secret,
      store,
      idleMs: config.configSyncMs,
      backoffBaseMs: config.configBackoffMs,
      backoffCapMs: config.configBackoffMaxMs,
      requestTimeoutMs: config.configTimeoutMs,
      ...(deps.onClockOffset ? { onClockOffset: deps.onClockOffset } : {}),
      onBackoff: (delayMs, failures) =>
        log.warn(
          { delayMs: Math.round(delayMs), failures, code: c.status().lastError?.code },
          'config sync round failed: retrying after a backoff',
        ),
    });
    client = c;
    // A local edit is on disk: send it now rather than at the next idle round.
    let seen = store.editSeq;
    unsubscribe = state.subscribe(() => {
      if (store.editSeq === seen) return;
      seen = store.editSeq;
      c.kick();
    });
    c.start();
  }

  return {
    store,
    notices,
    status(): ConfigSyncStatusView {
      const counts = store.counts();
      const s = client?.status();
      return {
        enabled: client !== undefined,
        version: store.version(),
        appliedAt: store.appliedAt,
        lastPullAt: s?.lastPullAt ?? null,
        lastPushAt: s?.lastPushAt ?? null,
        lastError: s?.lastError
          ? { code: s.lastError.code, message: s.lastError.message, at: s.lastError.at }
          : null,
        pendingEdits: counts.pendingEdits,
        openConflicts: counts.openConflicts,
        rejected: counts.rejected,
        running: s?.running ?? false,
        ...(pointsProblem ? { pointsProblem } : {}),
      };
    },
    kick: () => client?.kick(),
    async stop() {
      unsubscribe();
      store.off('changed', onChanged);
      await client?.stop({ abort: true });
    },
  };
}
