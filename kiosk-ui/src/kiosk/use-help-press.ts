import { useCallback, useEffect, useState } from 'preact/hooks';
import type { KioskHelpAnswer } from '../alarm-types';
import { api } from '../api';

export type HelpKey = 'sos' | 'service';

/** One press of a help button, from the tap until the edge has the alarm on disk. */
export interface HelpPress {
  key: HelpKey;
  /** The press's idempotency key: every re-send carries it, so one press makes one alarm. */
  requestId: string;
  pressedAt: number;
  state: 'calling' | 'sent';
  /** Failed sends so far. */
  failures: number;
  alarmId?: string;
  sentAt?: number;
}

/** Backoff between re-sends: 1 s, 2 s, 4 s, then every 5 s — forever, until the edge answers 200. */
export function retryDelayMs(failures: number): number {
  return Math.min(5000, 1000 * 2 ** Math.max(0, failures - 1));
}

/** One attempt may hang on a half-dead link: it counts as failed after this long. */
const ATTEMPT_TIMEOUT_MS = 8000;
/** An unsent press survives a reload of the page (a crash, a power blip of the screen). */
const PENDING_KEY = 'linli.kiosk.pendingHelp';

/** A UUID v4. `crypto.randomUUID` exists only in secure contexts; a kiosk on plain http on the LAN has getRandomValues. */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function savePending(p: HelpPress | null): void {
  try {
    if (p)
      localStorage.setItem(
        PENDING_KEY,
        JSON.stringify({ key: p.key, requestId: p.requestId, pressedAt: p.pressedAt }),
      );
    else localStorage.removeItem(PENDING_KEY);
  } catch {
    // No storage: the press is still re-sent for as long as this page lives.
  }
}

function loadPending(): HelpPress | null {
  try {
    const raw = localStorage.getItem(PENDING_KEY);
    if (!raw) return null;
    const p = JSON.parse(raw) as Partial<HelpPress>;
    if ((p.key !== 'sos' && p.key !== 'service') || typeof p.requestId !== 'string') return null;
    return {
      key: p.key,
      requestId: p.requestId,
      pressedAt: Number(p.pressedAt) || Date.now(),
      state: 'calling',
      failures: 0,
    };
  } catch {
    return null;
  }
}

export interface HelpPresses {
  press: HelpPress | null;
  /** A tap on a help button. A tap while a press is still calling is the same press. */
  start: (key: HelpKey) => void;
  /** Closes the confirmation; a press still calling cannot be closed. */
  dismiss: () => void;
}

/**
 * The kiosk's help buttons (DESIGN.md `POST /api/kiosk/help`): a tap makes a requestId and sends
 * it until the edge answers 200 — re-sent unchanged after a network error, a timeout, a 5xx or any
 * other answer, so a press is never lost (the edge answers only once the alarm is on disk) and
 * never doubled (the edge knows the requestId).
 */
export function useHelpPress(): HelpPresses {
  const [press, setPress] = useState<HelpPress | null>(loadPending);

  const start = useCallback((key: HelpKey) => {
    setPress((p) => {
      if (p?.state === 'calling') return p;
      const next: HelpPress = {
        key,
        requestId: newRequestId(),
        pressedAt: Date.now(),
        state: 'calling',
        failures: 0,
      };
      savePending(next);
      return next;
    });
  }, []);

  const dismiss = useCallback(() => setPress((p) => (p?.state === 'calling' ? p : null)), []);

  const requestId = press?.state === 'calling' ? press.requestId : null;
  const key = press?.key;
  useEffect(() => {
    if (!requestId || !key) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const attempt = async (): Promise<void> => {
      try {
        const answer = await api<KioskHelpAnswer>(
          'POST',
          '/api/kiosk/help',
          { requestId, key },
          { timeoutMs: ATTEMPT_TIMEOUT_MS },
        );
        if (stopped) return;
        savePending(null);
        setPress((p) =>
          p?.requestId === requestId
            ? { ...p, state: 'sent', alarmId: answer.alarmId, sentAt: Date.now() }
            : p,
        );
      } catch {
        if (stopped) return;
        failures += 1;
        const n = failures;
        setPress((p) => (p?.requestId === requestId ? { ...p, failures: n } : p));
        timer = setTimeout(() => void attempt(), retryDelayMs(failures));
      }
    };
    void attempt();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [requestId, key]);

  return { press, start, dismiss };
}
