import type { Stream } from './record.js';

/**
 * The record types each stream carries, protocol version 1: what the edge writes today. The cloud
 * rejects any other (stream, type) as `unknown-type`, stored as a rejection that the edge can
 * re-send once the cloud knows it.
 *
 * A new stream or type joins by adding it here (and a stream to `STREAMS` in record.ts), in the
 * same change as the edge code that appends it: `record-types.test.ts` reads the edge's sources
 * for `records.append(stream, type, …)` and fails when a pair is missing from this table.
 */
export const RECORD_TYPES = {
  alarm: [
    'alarm.raised',
    'alarm.notified',
    'alarm.escalated',
    'alarm.acknowledged',
    'alarm.resolved',
    'alarm.delivery',
  ],
  /** Bank-card sales, the resident-card account, settlement (docs/payments.md). */
  payment: [
    'payment.created',
    'payment.sent',
    'payment.unknown',
    'payment.approved',
    'payment.declined',
    'payment.voided',
    'account.credited',
    'account.debited',
    'settlement.closed',
    'reconciliation.made',
  ],
  points: [
    'card.swipe',
    'session.opened',
    'session.closed',
    'points.credited',
    'points.deducted',
    'goods.restocked',
    'points.redeemed',
    'redemption.reversed',
    'assessment.made',
    'assessment.results',
  ],
  registry: [
    'resident.created',
    'resident.updated',
    'resident.badge-issued',
    'resident.badge-revoked',
    'residents.imported',
    'card.bound',
    'card.lost',
    'card.revoked',
    'card.active',
    // Config edits made on the edge (issue 5): each carries `edit` and `base` (docs/config-sync.md).
    'user.created',
    'device.registered',
    'device.removed',
    'duty.replaced',
    'contacts.replaced',
    'notice.created',
    'notice.updated',
    'notice.deleted',
    /** First contact: how many entities of each kind were enrolled as edits. */
    'config.enrolled',
    /** An admin dismissed a conflict or a rejected edit. */
    'config.dismissed',
  ],
  device: ['device.status', 'device.counters'],
  /** `record.dropped`: a stand-in the edge sends for a scan deleted unsynced by its disk-full policy. */
  service: ['qr.scanned', 'record.dropped'],
} as const satisfies Record<Stream, readonly string[]>;

export type RecordType<S extends Stream = Stream> = (typeof RECORD_TYPES)[S][number];

const KNOWN = new Map<string, ReadonlySet<string>>(
  Object.entries(RECORD_TYPES).map(([stream, types]) => [stream, new Set<string>(types)]),
);

/** Whether `type` is a known type of `stream` (false for an unknown stream). */
export function isKnownType(stream: string, type: string): boolean {
  return KNOWN.get(stream)?.has(type) ?? false;
}
