/**
 * Typed device events, as they travel on `linli/v1/dev/{deviceId}/evt` (DESIGN.md, "MQTT").
 * Drivers in this folder produce them from wire bytes; the edge consumes them and never sees a frame.
 */

export interface HeartbeatEvent {
  type: 'heartbeat';
  ts: string;
  seq: number;
}

export interface CardTappedEvent {
  type: 'card.tapped';
  ts: string;
  /** Upper-case hex, bytes as read. */
  uid: string;
}

export interface QrScannedEvent {
  type: 'qr.scanned';
  ts: string;
  text: string;
  /** AIM symbology identifier without the leading `]`, e.g. `Q1`. */
  symbology?: string;
}

export interface HelpPressedEvent {
  type: 'help.pressed';
  ts: string;
  seq: number;
  key: 'sos' | 'service';
  boot?: string | number;
  button?: string;
}

export type DeviceEvent = HeartbeatEvent | CardTappedEvent | QrScannedEvent | HelpPressedEvent;

/** Link state reported by a driver for a device the edge drives itself (serial, PC/SC). */
export interface LinkState {
  online: boolean;
  /** Why the link is down, in plain words, for the admin page (`ENOENT: no such port`). */
  reason?: string;
}

/** Counters every driver keeps; the edge exposes them per device. */
export interface DriverCounters {
  /** Frames or lines that were dropped as malformed (too long, control bytes, bad checksum…). */
  malformed: number;
  /** Times the link was re-established after a loss. */
  reconnects: number;
}

/** Current time as ISO-8601 UTC with milliseconds and `Z` (DESIGN.md: time on every surface). */
export function isoNow(now: () => number = Date.now): string {
  return new Date(now()).toISOString();
}
