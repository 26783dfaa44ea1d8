import type { DeviceStatusEvent, QrScannedView } from '../../../edge/api/types';
import type { Alarm } from '../alarm-types';
import type { PaymentView } from '../payment-types';
import { type ConnState, connectSse, type SseHandlers } from '../sse';
import type { SwipeEvent } from './points-types';

/** Events of `GET /api/events` the admin page uses. */
export interface AdminEvents {
  'device.status': DeviceStatusEvent;
  'qr.scanned': QrScannedView;
  alarm: Alarm;
  'points.swipe': SwipeEvent;
  payment: PaymentView;
}

export interface AdminSubscriber {
  handlers: SseHandlers<AdminEvents>;
  onState: (state: ConnState, status?: number) => void;
  /** Every (re)connection; a subscriber joining an open stream loads its own state instead. */
  onOpen?: () => void;
}

const subscribers = new Set<AdminSubscriber>();
let close: (() => void) | null = null;
let last: { state: ConnState; status?: number } = { state: 'connecting' };

function fanOut<K extends keyof AdminEvents>(name: K): (data: AdminEvents[K]) => void {
  return (data) => {
    for (const s of subscribers) s.handlers[name]?.(data);
  };
}

/**
 * One `GET /api/events` stream per page, shared by the device table and the alarm console: a
 * browser opens at most 6 connections to a host over HTTP/1.1, and each tab's streams count.
 * The stream opens with the first subscriber and closes with the last.
 */
export function subscribeAdminEvents(sub: AdminSubscriber): () => void {
  subscribers.add(sub);
  sub.onState(last.state, last.status);
  if (!close) {
    close = connectSse<AdminEvents>({
      url: '/api/events',
      handlers: {
        'device.status': fanOut('device.status'),
        'qr.scanned': fanOut('qr.scanned'),
        alarm: fanOut('alarm'),
        'points.swipe': fanOut('points.swipe'),
        payment: fanOut('payment'),
      },
      onState: (state, status) => {
        last = { state, status };
        for (const s of subscribers) s.onState(state, status);
      },
      onOpen: () => {
        for (const s of subscribers) s.onOpen?.();
      },
    });
  }
  return () => {
    subscribers.delete(sub);
    if (subscribers.size > 0) return;
    close?.();
    close = null;
    last = { state: 'connecting' };
  };
}
