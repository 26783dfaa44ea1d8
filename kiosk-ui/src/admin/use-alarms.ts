import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Alarm } from '../alarm-types';
import { api, type HttpError } from '../api';
import type { ConnState } from '../sse';
import { subscribeAdminEvents } from './admin-events';

export interface LiveAlarms {
  /** Every alarm known, by id; null until the first list arrived. */
  alarms: Map<string, Alarm> | null;
  loadError: HttpError | null;
  live: ConnState;
  /** Puts a newer version of an alarm in (an action's answer). */
  upsert: (a: Alarm) => void;
  reload: () => Promise<void>;
}

/** The console shows this many resolved alarms; the rest stay in the API's log. */
export const RESOLVED_KEPT = 20;

/**
 * An alarm's history only grows: the longer one is the newer version. Repeats break a tie (a
 * repeat does not always add a step). Equal versions keep the one already shown.
 */
export function newer(a: Alarm, b: Alarm | undefined): boolean {
  if (!b) return true;
  if (a.history.length !== b.history.length) return a.history.length > b.history.length;
  if (a.state !== b.state) return a.state === 'resolved' || b.state !== 'resolved';
  return a.repeats > b.repeats;
}

function trimResolved(map: Map<string, Alarm>): Map<string, Alarm> {
  const resolved = [...map.values()]
    .filter((a) => a.state === 'resolved')
    .sort((x, y) => Date.parse(y.resolvedAt ?? y.raisedAt) - Date.parse(x.resolvedAt ?? x.raisedAt));
  for (const old of resolved.slice(RESOLVED_KEPT)) map.delete(old.id);
  return map;
}

/**
 * The alarms from `GET /api/alarms`, kept live by SSE `alarm` on `GET /api/events` (every change
 * carries the whole alarm); fetched again on every (re)connection, so nothing missed while the
 * stream was down stays stale. A list that raced with a newer event never rolls it back.
 */
export function useAlarms(onAuthLost: () => void): LiveAlarms {
  const [alarms, setAlarms] = useState<Map<string, Alarm> | null>(null);
  const [loadError, setLoadError] = useState<HttpError | null>(null);
  const [live, setLive] = useState<ConnState>('connecting');
  const lastRequest = useRef(0);
  const authLost = useRef(onAuthLost);
  authLost.current = onAuthLost;

  const upsert = useCallback((a: Alarm) => {
    setAlarms((map) => {
      const current = map ?? new Map<string, Alarm>();
      if (!newer(a, current.get(a.id))) return map;
      return trimResolved(new Map(current).set(a.id, a));
    });
  }, []);

  const reload = useCallback(async () => {
    const mine = ++lastRequest.current;
    try {
      const list = await api<Alarm[]>('GET', '/api/alarms');
      if (mine !== lastRequest.current) return;
      setAlarms((map) => {
        const next = new Map<string, Alarm>();
        for (const a of list) {
          const shown = map?.get(a.id);
          next.set(a.id, shown && !newer(a, shown) ? shown : a);
        }
        // Alarms pushed after the list was read (not in it yet) stay.
        for (const [id, a] of map ?? []) if (!next.has(id) && a.state !== 'resolved') next.set(id, a);
        return trimResolved(next);
      });
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
    return subscribeAdminEvents({
      handlers: { alarm: upsert },
      onState: (state, status) => {
        if (state === 'denied' && status === 401) authLost.current();
        setLive(state);
      },
      onOpen: () => void reload(),
    });
  }, [reload, upsert]);

  return { alarms, loadError, live, upsert, reload };
}
