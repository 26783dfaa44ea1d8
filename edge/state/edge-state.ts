import type { DeviceType, DutyEntry, Role, Transport, WebhookTarget } from '../api/types.js';
import type { Goods, PointsItem, PointsScheme } from '../points/points-types.js';
import { type ConfigSyncState, emptyConfigSync } from './config-sync-state.js';

export type { DutyEntry, WebhookTarget } from '../api/types.js';

/** Small state kept in lowdb (`DATA_DIR/state.json`). Records never live here (DESIGN.md, "The store"). */
export interface UserRow {
  username: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  disabled?: boolean;
}

export interface SessionRow {
  /** SHA-256 of the token; the token itself is never stored. */
  digest: string;
  username: string;
  expiresAt: string;
  createdAt: string;
}

export interface DeviceRow {
  id: string;
  type: DeviceType;
  transport: Transport;
  name?: string;
  /** serial */
  path?: string;
  baudRate?: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits?: 1 | 1.5 | 2;
  /** qr-scanner text encoding */
  encoding?: 'utf-8' | 'gbk';
  /** card reader on serial */
  uidFormat?: 'hex' | 'decimal';
  /** pcsc */
  reader?: string;
  /** help devices: resident id or a location */
  assignedTo?: string;
  /** scrypt hash of the MQTT password, or SHA-256 digest of the kiosk token. */
  secretHash?: string;
  createdAt: string;
}

/** A resident of the community: issue 3 keeps what elder help needs; issue 4 adds the home, party branch and ID number. */
export interface ResidentRow {
  id: string;
  name: string;
  /**
   * One line for people (alarms, SMS, the badge page): free text as issue 3 kept it, or made from
   * community, building, unit and room when only those are given (edge/residents/address.ts).
   */
  address?: string;
  /** 社区 / 小区 */
  community?: string;
  /** 楼栋, e.g. `3` or `3栋` */
  building?: string;
  /** 单元 */
  unit?: string;
  /** 房号 */
  room?: string;
  phone?: string;
  /** `elder`, `party-member` … */
  roles: string[];
  /** Party branch (党支部) of a party member: rankings and assessments are per branch. */
  branch?: string;
  emergencyContacts: { name: string; relation?: string; phone: string }[];
  /** Doctor's notes: sensitive personal information, sealed (edge/crypto/sealed-box.ts). */
  healthNotesSealed?: string;
  /** 居民身份证号: sensitive personal information, sealed (field `idNumber`); shown masked only. */
  idNumberSealed?: string;
  /** HMAC-SHA256 of the ID number under a key derived from the data key: finds duplicates unopened. */
  idNumberDigest?: string;
  /**
   * The active QR badge: the token sealed (to print again), its digest (to look it up), a short
   * public code. A badge issued elsewhere (it came down from the cloud) has no token here: it
   * works when scanned, but printing it again needs a new badge.
   */
  badge?: { tokenSealed?: string; digest: string; code: string; issuedAt: string };
  createdAt: string;
  updatedAt: string;
}

/** A card bound to a resident, identified by its UID (DOMAIN.md: Linli reads UIDs only). */
export interface CardRow {
  /** Upper-case hex, bytes as read. */
  uid: string;
  residentId: string;
  kind: 'resident' | 'party';
  state: 'active' | 'lost' | 'revoked';
  boundAt: string;
  changedAt: string;
}

/** Numbers every badge page shows: the community office and the local police station. */
export interface PublicContacts {
  community?: { name: string; phone: string };
  police?: { name: string; phone: string };
}

/** A notice for the residents (kiosk attract screen), edited here or on the cloud. */
export interface NoticeRow {
  id: string;
  title: string;
  body: string;
  /** Shown from / until (ISO-8601); absent: at once / until removed. */
  from?: string;
  until?: string;
  pinned?: boolean;
  createdAt: string;
  updatedAt: string;
}

/**
 * The points scheme as config entities: activities (items), goods and the scheme's rules. Absent
 * until the edge first syncs (LINLI_POINTS_CATALOGUE is used then); once present it is the scheme.
 */
export interface PointsCatalogueRow {
  /** The rules (`points-scheme` entity); absent: those of the file. */
  rules?: Omit<PointsScheme, 'items' | 'goods'>;
  items: PointsItem[];
  goods: Goods[];
}

/** Versioned by the state store (edge/store/state-store.ts): migrations live in edge/state/. */
export interface EdgeState {
  users: UserRow[];
  sessions: SessionRow[];
  devices: DeviceRow[];
  duty: DutyEntry[];
  webhooks: WebhookTarget[];
  residents: ResidentRow[];
  contacts: PublicContacts;
  cards: CardRow[];
  notices: NoticeRow[];
  pointsCatalogue?: PointsCatalogueRow;
  configSync: ConfigSyncState;
}

/** Migrations of the state file: `EDGE_STATE_MIGRATIONS[i]` turns version i+1 into i+2. */
export const EDGE_STATE_MIGRATIONS = [
  // v1 → v2: duty roster, webhooks, residents and public contacts (issue 3), cards (issue 4).
  (d: unknown) => ({ duty: [], webhooks: [], residents: [], contacts: {}, cards: [], ...(d as object) }),
  // v2 → v3: residents gain community, building, unit, room, branch and the sealed ID number, all
  // optional (issue 4); `address` stays as it was. Rows are made whole where an older build or a
  // hand edit left out a list, so the new code can rely on `roles` and `emergencyContacts`.
  (d: unknown) => {
    const s = d as { residents?: Partial<ResidentRow>[]; cards?: CardRow[] };
    return {
      ...s,
      residents: (s.residents ?? []).map((r) => ({
        ...r,
        roles: r.roles ?? [],
        emergencyContacts: r.emergencyContacts ?? [],
      })),
      cards: s.cards ?? [],
    };
  },
  // v3 → v4: notices, and the config sync's versions, pending edits and conflicts (issue 5). The
  // points catalogue stays absent: the scheme file holds until the first sync.
  (d: unknown) => ({ notices: [], configSync: emptyConfigSync(), ...(d as object) }),
];

export function emptyEdgeState(): EdgeState {
  return {
    users: [],
    sessions: [],
    devices: [],
    duty: [],
    webhooks: [],
    residents: [],
    contacts: {},
    cards: [],
    notices: [],
    configSync: emptyConfigSync(),
  };
}
