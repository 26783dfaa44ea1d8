import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { DeviceStatusEvent, DeviceView, QrScannedView } from '../../../edge/api/types';
import { api, type HttpError } from '../api';
import type { ConnState } from '../sse';
import { subscribeAdminEvents } from './admin-events';

export interface LiveDevices {
  devices: DeviceView[] | null;
  loadError: HttpError | null;
  live: ConnState;
  recent: QrScannedView[];
  reload: () => Promise<void>;
}

const RECENT_MAX = 20;
/** Counters are not pushed as events: the list is re-read this often to keep them fresh. */
const REFRESH_MS = 30_000;

function later(a: string | null, b: string): string {
  return a !== null && Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * The device list from `GET /api/devices`, kept live by `GET /api/events`; fetched again on every
 * (re)connection of the stream so nothing missed while it was down stays stale, and every 30 s
 * for the counters.
 */
export function useLiveDevices(onAuthLost: () => void): LiveDevices {
  const [devices, setDevices] = useState<DeviceView[] | null>(null);
  const [loadError, setLoadError] = useState<HttpError | null>(null);
  const [live, setLive] = useState<ConnState>('connecting');
  const [recent, setRecent] = useState<QrScannedView[]>([]);
  const known = useRef(new Set<string>());
  const lastRequest = useRef(0);
  const authLost = useRef(onAuthLost);
  authLost.current = onAuthLost;

  const reload = useCallback(async () => {
    const mine = ++lastRequest.current;
    try {
      const list = await api<DeviceView[]>('GET', '/api/devices');
      if (mine !== lastRequest.current) return; // A newer request answers for the current state.
      known.current = new Set(list.map((d) => d.id));
      setDevices(list);
      setLoadError(null);
    } catch (err) {
      if (mine !== lastRequest.current) return;
      const httpErr = err as HttpError;
      if (httpErr.status === 401) authLost.current();
      else setLoadError(httpErr);
    }
  }, []);

  useEffect(() => {
    void reload();
    const onStatus = (e: DeviceStatusEvent) => {
      if (!known.current.has(e.deviceId)) {
        void reload(); // Registered elsewhere since the last fetch.
        return;
      }
      setDevices(
        (list) =>
          list?.map((d) =>
            d.id === e.deviceId
              ? { ...d, online: e.online, lastSeen: e.lastSeen ?? d.lastSeen, offlineReason: e.offlineReason }
              : d,
          ) ?? null,
      );
    };
    const onScan = (e: QrScannedView) => {
      setDevices(
        (list) =>
          list?.map((d) => (d.id === e.deviceId ? { ...d, lastSeen: later(d.lastSeen, e.ts) } : d)) ?? null,
      );
      setRecent((r) => [e, ...r.filter((x) => x.recordId !== e.recordId)].slice(0, RECENT_MAX));
    };
    const refresh = setInterval(() => void reload(), REFRESH_MS);
    const close = subscribeAdminEvents({
      handlers: { 'device.status': onStatus, 'qr.scanned': onScan },
      onState: (state, status) => {
        if (state === 'denied' && status === 401) authLost.current();
        setLive(state);
      },
      onOpen: () => void reload(),
    });
    return () => {
      clearInterval(refresh);
      close();
    };
  }, [reload]);

  return { devices, loadError, live, recent, reload };
}
