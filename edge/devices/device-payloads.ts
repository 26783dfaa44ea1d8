import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { DeviceEvent } from '../../firmware-bridge/device-events.js';

/**
 * JSON schemas of what devices publish (DESIGN.md, "MQTT"): validated where it enters, trusted
 * after. Unknown fields are ignored (not stripped: handlers read only what they know).
 */
const Ts = Type.String({ minLength: 1, maxLength: 64 });
const Seq = Type.Integer({ minimum: 0, maximum: 2 ** 31 });

const Heartbeat = Type.Object({ type: Type.Literal('heartbeat'), ts: Ts, seq: Seq });
const CardTapped = Type.Object({
  type: Type.Literal('card.tapped'),
  ts: Ts,
  uid: Type.String({ pattern: '^[0-9A-F]{2,64}$' }),
});
const QrScanned = Type.Object({
  type: Type.Literal('qr.scanned'),
  ts: Ts,
  text: Type.String({ minLength: 1, maxLength: 4096 }),
  symbology: Type.Optional(Type.String({ maxLength: 8 })),
});
const HelpPressed = Type.Object({
  type: Type.Literal('help.pressed'),
  ts: Ts,
  seq: Seq,
  key: Type.Union([Type.Literal('sos'), Type.Literal('service')]),
  boot: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()])),
  button: Type.Optional(Type.String({ maxLength: 64 })),
});

const EventSchemas = {
  heartbeat: Compile(Heartbeat),
  'card.tapped': Compile(CardTapped),
  'qr.scanned': Compile(QrScanned),
  'help.pressed': Compile(HelpPressed),
} as const;

const Status = Compile(
  Type.Object({
    online: Type.Boolean(),
    ts: Type.Optional(Ts),
    fw: Type.Optional(Type.String({ maxLength: 64 })),
    battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    hb: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  }),
);

export interface StatusPayload {
  online: boolean;
  ts?: string;
  fw?: string;
  battery?: number;
  hb?: number;
}

/** `reason` is a fixed code (a metric label); `detail` says more for the log. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: PayloadFault; detail?: string };
export type PayloadFault = 'not-json' | 'no-type' | 'unknown-type' | 'invalid' | 'bad-ts';

function parseJson(payload: Buffer): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false, reason: 'not-json' };
  }
}

export function parseDeviceEvent(payload: Buffer): Parsed<DeviceEvent> {
  const j = parseJson(payload);
  if (!j.ok) return j;
  const v = j.value as { type?: unknown };
  if (v === null || typeof v !== 'object' || typeof v.type !== 'string')
    return { ok: false, reason: 'no-type' };
  const check = EventSchemas[v.type as keyof typeof EventSchemas];
  if (!check) return { ok: false, reason: 'unknown-type', detail: v.type.slice(0, 32) };
  if (!check.Check(v)) return { ok: false, reason: 'invalid', detail: v.type };
  if (Number.isNaN(Date.parse((v as { ts: string }).ts))) return { ok: false, reason: 'bad-ts' };
  return { ok: true, value: v as DeviceEvent };
}

export function parseStatus(payload: Buffer): Parsed<StatusPayload> {
  const j = parseJson(payload);
  if (!j.ok) return j;
  if (!Status.Check(j.value)) return { ok: false, reason: 'invalid', detail: 'status' };
  return { ok: true, value: j.value as StatusPayload };
}
