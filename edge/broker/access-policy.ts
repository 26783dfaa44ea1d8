import { parseDeviceTopic, TOPIC_ROOT } from './topics.js';

/**
 * Who a connected MQTT client is, decided at CONNECT. Devices log in with username = deviceId;
 * people (admin, staff, viewer) may log in with their user name to watch (read-only); the edge's
 * own client holds a per-process secret.
 */
export type Principal =
  | { kind: 'device'; deviceId: string }
  | { kind: 'user'; username: string }
  | { kind: 'edge' };

export type Refusal = { ok: false; reason: 'topic' | 'too-large' | 'retain' };
export type Verdict = { ok: true } | Refusal;

/**
 * The topic ACL of DESIGN.md: a device may publish only to its own `status` and `evt`, and
 * subscribe only to its own `cmd`. Pure functions, so the policy is tested without a broker.
 */
export function mayPublish(
  p: Principal,
  topic: string,
  payloadBytes: number,
  maxPayload: number,
  retain: boolean,
): Verdict {
  if (p.kind === 'edge') return { ok: true };
  if (p.kind === 'user') return { ok: false, reason: 'topic' };
  if (payloadBytes > maxPayload) return { ok: false, reason: 'too-large' };
  const t = parseDeviceTopic(topic);
  if (!t || t.deviceId !== p.deviceId || t.kind === 'cmd') return { ok: false, reason: 'topic' };
  // Only the birth/will status is retained; a retained event would replay to every new subscriber.
  if (retain && t.kind !== 'status') return { ok: false, reason: 'retain' };
  return { ok: true };
}

export function maySubscribe(p: Principal, filter: string): boolean {
  if (p.kind === 'edge') return true;
  if (p.kind === 'user') {
    // Watchers read everything under linli/v1 (no $SYS, no other roots).
    return filter === `${TOPIC_ROOT}/#` || filter.startsWith(`${TOPIC_ROOT}/`);
  }
  const t = parseDeviceTopic(filter);
  return t !== null && t.deviceId === p.deviceId && t.kind === 'cmd';
}
