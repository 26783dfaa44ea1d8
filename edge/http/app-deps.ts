import type { Logger } from 'pino';
import type { AlarmService } from '../alarms/alarm-service.js';
import type { UserService } from '../auth/user-service.js';
import type { EdgeBroker } from '../broker/broker.js';
import type { CardService } from '../cards/card-service.js';
import type { EdgeConfig } from '../config/config.js';
import type { ConfigSync } from '../config-sync/config-sync-wiring.js';
import type { DeviceHealth } from '../devices/device-health.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { SseHub } from '../events/sse-hub.js';
import type { EdgeMetrics } from '../metrics/edge-metrics.js';
import type { Payments } from '../payments/payment-wiring.js';
import type { PointsService } from '../points/points-service.js';
import type { ResidentService } from '../residents/resident-service.js';
import type { EdgeState } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';
import type { EdgeSync } from '../sync/edge-sync.js';

/** Everything the HTTP app is built from; the composition root (edge/edge.ts) provides it. */
export interface AppDeps {
  config: Readonly<EdgeConfig>;
  log: Logger;
  version: string;
  startedAt: number;
  users: UserService;
  registry: DeviceRegistry;
  health: DeviceHealth;
  sse: SseHub;
  metrics: EdgeMetrics;
  broker: EdgeBroker;
  state: StateStore<EdgeState>;
  alarms?: AlarmService;
  residents: ResidentService;
  cards: CardService;
  points?: PointsService;
  /** Bank-card sales, the resident-card account, settlement (absent in some route tests). */
  payments?: Payments;
  /** Sync with the cloud (absent in some route tests). */
  sync?: EdgeSync;
  /** The journal, for the `registry` records of edits made by routes (users, devices, duty, contacts). */
  records: RecordLog;
  /** Config sync with the cloud, and the notices it carries. */
  configSync: ConfigSync;
  /** Base of public links in QR codes (LINLI_PUBLIC_URL, else the cloud's, else this edge's). */
  publicBase: () => string;
  /** Folder of the built browser app (kiosk-ui/dist), or undefined when not built. */
  uiDir?: string;
}
