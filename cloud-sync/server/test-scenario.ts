/**
 * A house's records of every kind the city views project (device status and counters, the alarm
 * life cycle, points credited and deducted across a month's end in Beijing time, scans with an
 * unsynced clock, a few malformed bodies), from a seed; what the projections must hold for any
 * set of them, computed here the plain way (records in seq order, as the edge's own reducers go);
 * and the projections as stored, in the same shape, to compare.
 */
import type { Stream, SyncRecord } from '../protocol/record.js';
import type { Queryable } from './db/db.js';
import { rec, type TestEdge } from './test-cloud.js';

/** 2025-10-31 20:00 in Beijing: the scenario runs over midnight into November there (still October in UTC). */
export const SCENARIO_START = Date.UTC(2025, 9, 31, 12, 0);
const STEP_MS = 97_000;

/** A small deterministic generator (LCG), so every run and every house sees the same scenario. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function scenario(edge: TestEdge, seed = 1): SyncRecord[] {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const seqs: Partial<Record<Stream, number>> = {};
  const out: SyncRecord[] = [];
  let t = SCENARIO_START;
  const add = (
    stream: Stream,
    type: string,
    body: Record<string, unknown>,
    clock?: 'unsynced',
    ts?: number,
  ) => {
    t += STEP_MS;
    const seq = (seqs[stream] ?? 0) + 1;
    seqs[stream] = seq;
    out.push(rec(edge, stream, seq, type, body, { ts: ts ?? t, ...(clock ? { clock } : {}) }));
  };

  const alarms = Array.from({ length: 10 }, (_, i) => ({ id: `alarm-${i + 1}`, step: 0 }));
  const devices = ['btn-1', 'btn-2', 'panel-1', 'reader-1', 'scanner-1', 'kiosk-1'];
  const residents = ['r-01', 'r-02', 'r-03', 'r-04', 'r-05', 'r-06', 'r-07', 'r-08'];
  for (let round = 0; round < 40; round++) {
    for (const a of alarms) {
      if (rnd() < 0.5) continue;
      const i = alarms.indexOf(a);
      const stop = 1 + (i % 6); // alarm-1 stops once raised … alarm-6 and later get resolved
      if (a.step >= stop) continue;
      const deviceId = pick(devices.slice(0, 2));
      switch (a.step) {
        case 0:
          add('alarm', 'alarm.raised', {
            id: a.id,
            kind: i % 3 === 0 ? 'sos' : i % 3 === 1 ? 'service' : 'technical',
            deviceId,
            assignedTo: `r-0${(i % 8) + 1}`,
            press: { ts: new Date(t).toISOString(), seq: round },
            ...(i % 3 === 2 ? { reason: 'missed heartbeats' } : {}),
          });
          break;
        case 1:
          add('alarm', 'alarm.notified', { id: a.id, level: 0, channels: ['sms'] });
          break;
        case 2:
          add('alarm', 'alarm.escalated', { id: a.id, level: 1 });
          break;
        case 3:
          add('alarm', 'alarm.escalated', { id: a.id, level: 2 });
          break;
        case 4:
          add('alarm', 'alarm.acknowledged', { id: a.id, by: 'duty-1' });
          break;
        case 5:
          add('alarm', 'alarm.resolved', { id: a.id, by: 'duty-1', outcome: 'helped', note: 'ok' });
          break;
      }
      a.step++;
      if (rnd() < 0.2) add('alarm', 'alarm.delivery', { id: a.id, channel: 'sms', ok: true });
    }
    for (let k = 0; k < 2; k++) {
      const deviceId = pick(devices);
      if (rnd() < 0.7) {
        const online = rnd() < 0.5;
        add('device', 'device.status', {
          deviceId,
          online,
          ...(online ? {} : { reason: pick(['missed heartbeats', 'link down']) }),
        });
      } else {
        add('device', 'device.counters', {
          deviceId,
          from: new Date(t - 3600_000).toISOString(),
          to: new Date(t).toISOString(),
          events: Math.floor(rnd() * 50),
          errors: Math.floor(rnd() * 3),
          reconnects: Math.floor(rnd() * 2),
        });
      }
    }
    for (let k = 0; k < 3; k++) {
      const residentId = pick(residents);
      const roll = rnd();
      if (roll < 0.6) {
        add('points', 'points.credited', {
          residentId,
          itemId: 'study',
          category: 'study',
          points: pick([2, 3]),
          sessionId: 's-1',
          deviceId: 'reader-1',
          capped: false,
          approvedBy: 'admin',
        });
      } else if (roll < 0.75) {
        add('points', 'points.deducted', {
          residentId,
          itemId: 'absence',
          points: -1,
          reason: 'absent',
          by: 'admin',
        });
      } else if (roll < 0.85) {
        add('points', 'points.redeemed', {
          redemptionId: `red-${round}`,
          residentId,
          goodsId: 'rice',
          qty: 1,
          points: 6,
          by: 'admin',
        });
      } else {
        add('points', 'card.swipe', { uid: 'hidden', deviceId: 'reader-1' });
      }
    }
    if (rnd() < 0.5)
      add(
        'service',
        'qr.scanned',
        { deviceId: 'scanner-1', text: 'x' },
        rnd() < 0.3 ? 'unsynced' : undefined,
      );
  }
  // An unsynced clock far off, a duplicate raise, and bodies a projection must pass over unharmed.
  add('service', 'qr.scanned', { deviceId: 'scanner-1' }, 'unsynced', Date.UTC(1970, 0, 1, 0, 5));
  add('alarm', 'alarm.raised', { id: 'alarm-1', kind: 'service', deviceId: 'btn-9' });
  add('alarm', 'alarm.acknowledged', { by: 'nobody' });
  add('device', 'device.status', { deviceId: 42, online: false });
  add('device', 'device.status', { deviceId: 'btn-1', online: 'no' });
  add('points', 'points.credited', { residentId: 'r-01', points: '5' });
  add('points', 'points.credited', { residentId: 'r-02', points: 1e12 });
  add('points', 'points.deducted', { residentId: 'r-03', points: -2.7 });
  add('registry', 'resident.created', { residentId: 'r-09' });
  return out;
}

export interface Projections {
  devices: Record<
    string,
    { online: boolean | null; reason: string | null; statusSeq: number | null; counters: unknown }
  >;
  alarms: Record<
    string,
    {
      state: string | null;
      level: number;
      kind: string | null;
      deviceId: string | null;
      raisedAt: string | null;
      acknowledgedAt: string | null;
      resolvedAt: string | null;
      outcome: string | null;
    }
  >;
  /** `<month>/<resident>` → points. */
  points: Record<string, number>;
  /** `<day>/<stream>` → records by ts, and of them unsynced. */
  daily: Record<string, { records: number; unsynced: number }>;
  received: number;
  streams: Record<string, { records: number; maxSeq: number }>;
}

/** `map[key]`, made from `init` when absent. */
function entry<V>(map: Record<string, V>, key: string, init: () => V): V {
  const v = map[key] ?? init();
  map[key] = v;
  return v;
}
const newDevice = () => ({ online: null, reason: null, statusSeq: null, counters: null });

const beijing = (iso: string) => new Date(Date.parse(iso) + 8 * 3600_000).toISOString();
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** What the projections must hold for these stored records, computed in seq order. */
export function expectedProjections(records: readonly SyncRecord[]): Projections {
  const sorted = [...records].sort((a, b) =>
    a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.seq - b.seq,
  );
  const p: Projections = {
    devices: {},
    alarms: {},
    points: {},
    daily: {},
    received: sorted.length,
    streams: {},
  };
  for (const r of sorted) {
    const s = entry(p.streams, r.stream, () => ({ records: 0, maxSeq: 0 }));
    s.records++;
    s.maxSeq = Math.max(s.maxSeq, r.seq);
    const day = `${beijing(r.ts).slice(0, 10)}/${r.stream}`;
    const d = entry(p.daily, day, () => ({ records: 0, unsynced: 0 }));
    d.records++;
    if (r.clock === 'unsynced') d.unsynced++;
    const b = r.body;
    if (r.type === 'device.status' && isText(b.deviceId) && typeof b.online === 'boolean') {
      const dev = entry<Projections['devices'][string]>(p.devices, b.deviceId, newDevice);
      Object.assign(dev, { online: b.online, reason: isText(b.reason) ? b.reason : null, statusSeq: r.seq });
    }
    if (r.type === 'device.counters' && isText(b.deviceId)) {
      const dev = entry<Projections['devices'][string]>(p.devices, b.deviceId, newDevice);
      const { from, to, events, errors, reconnects } = b;
      dev.counters = { from, to, events, errors, reconnects };
    }
    if ((r.type === 'points.credited' || r.type === 'points.deducted') && isText(b.residentId)) {
      if (typeof b.points === 'number') {
        const key = `${beijing(r.ts).slice(0, 7)}/${b.residentId}`;
        p.points[key] = (p.points[key] ?? 0) + Math.max(-1e6, Math.min(1e6, Math.trunc(b.points)));
      }
    }
    if (r.stream === 'alarm' && isText(b.id)) applyAlarm(p.alarms, r);
  }
  return p;
}

/** The edge's alarm reducer, in seq order (edge/alarms/alarm-model.ts, the fields the city keeps). */
function applyAlarm(alarms: Projections['alarms'], r: SyncRecord): void {
  const id = r.body.id as string;
  const a = alarms[id];
  if (r.type === 'alarm.raised') {
    if (a) return;
    alarms[id] = {
      state: 'raised',
      level: 0,
      kind: (r.body.kind as string) ?? null,
      deviceId: (r.body.deviceId as string) ?? null,
      raisedAt: r.ts,
      acknowledgedAt: null,
      resolvedAt: null,
      outcome: null,
    };
    return;
  }
  if (!a) return;
  if (r.type === 'alarm.notified' && a.state === 'raised') a.state = 'notified';
  if (r.type === 'alarm.escalated') {
    a.level = r.body.level as number;
    if (a.state === 'raised' || a.state === 'notified' || a.state === 'escalated') a.state = 'escalated';
  }
  if (r.type === 'alarm.acknowledged' && a.state !== 'acknowledged' && a.state !== 'resolved') {
    a.state = 'acknowledged';
    a.acknowledgedAt = r.ts;
  }
  if (r.type === 'alarm.resolved' && a.state !== 'resolved') {
    a.state = 'resolved';
    a.resolvedAt = r.ts;
    a.outcome = r.body.outcome as string;
  }
}

const STATES = ['raised', 'notified', 'escalated', 'acknowledged', 'resolved'];
const isoOf = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

/** The projections of `house` as stored. */
export async function storedProjections(db: Queryable, house: string): Promise<Projections> {
  const p: Projections = { devices: {}, alarms: {}, points: {}, daily: {}, received: 0, streams: {} };
  for (const d of await db.query<{
    device_id: string;
    online: boolean | null;
    reason: string | null;
    status_seq: number | null;
    counters: unknown;
  }>('SELECT device_id, online, reason, status_seq, counters FROM device_state WHERE house = $1', [house])) {
    p.devices[d.device_id] = {
      online: d.online,
      reason: d.reason,
      statusSeq: d.status_seq,
      counters: d.counters,
    };
  }
  for (const a of await db.query<{
    alarm_id: string;
    raised_seq: number | null;
    state_rank: number;
    level: number;
    kind: string | null;
    device_id: string | null;
    raised_at: Date | null;
    acknowledged_at: Date | null;
    resolved_at: Date | null;
    outcome: string | null;
  }>('SELECT * FROM alarm_state WHERE house = $1', [house])) {
    if (a.raised_seq === null) continue; // records of an alarm whose raise has not arrived
    p.alarms[a.alarm_id] = {
      state: STATES[a.state_rank] ?? null,
      level: a.level,
      kind: a.kind,
      deviceId: a.device_id,
      raisedAt: isoOf(a.raised_at),
      acknowledgedAt: isoOf(a.acknowledged_at),
      resolvedAt: isoOf(a.resolved_at),
      outcome: a.outcome,
    };
  }
  for (const r of await db.query<{ month: string; resident_id: string; points: number }>(
    'SELECT month, resident_id, points FROM points_monthly WHERE house = $1',
    [house],
  )) {
    p.points[`${r.month}/${r.resident_id}`] = Number(r.points);
  }
  for (const r of await db.query<{
    day: string;
    stream: string;
    records: number;
    unsynced: number;
    received: number;
  }>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, stream, records, unsynced, received FROM records_daily WHERE house = $1`,
    [house],
  )) {
    if (r.records > 0)
      p.daily[`${r.day}/${r.stream}`] = { records: Number(r.records), unsynced: Number(r.unsynced) };
    p.received += Number(r.received);
  }
  for (const s of await db.query<{ stream: string; records: number; max_seq: number }>(
    'SELECT stream, records, max_seq FROM stream_state WHERE house = $1 AND records > 0',
    [house],
  )) {
    p.streams[s.stream] = { records: Number(s.records), maxSeq: Number(s.max_seq) };
  }
  return p;
}
