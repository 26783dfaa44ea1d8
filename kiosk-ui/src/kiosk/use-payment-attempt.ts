import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, HttpError } from '../api';
import { isNewer, type PaymentCreated, type PaymentView } from '../payment-types';
import type { PaymentBus } from './payment-bus';
import { newRequestId, retryDelayMs } from './use-help-press';

/** What the resident asked to pay, and where. */
export type PayRequest =
  | { kind: 'sale'; item: string; amountFen: number; deviceId: string }
  | { kind: 'account'; item: string; amountFen: number; readerId: string };

/** One attempt to pay, from the tap on 确认支付 until its final state. */
export type Attempt =
  | { phase: 'sending'; key: string; failures: number }
  /** No answer after a few sends: the resident may send again, with the same key. */
  | { phase: 'send-failed'; key: string; error: HttpError }
  /** The edge said no (busy, offline, no such terminal): nothing was paid. */
  | { phase: 'refused'; key: string; error: HttpError }
  | {
      phase: 'tracking';
      key: string;
      created: PaymentCreated;
      view: PaymentView | null;
      prompt: string | null;
    };

const ATTEMPT_TIMEOUT_MS = 10_000;
/** Sends before the screen offers to send again by hand. */
const AUTO_SENDS = 4;
/** While the event stream is down, the payment is read this often. */
const POLL_MS = 3000;

/** A refusal that no re-send can change: the edge answered and stored nothing. */
function isRefusal(err: HttpError): boolean {
  return err.status >= 400 && err.status < 500
    ? err.status !== 408 && err.status !== 429
    : err.status === 503;
}

export interface PaymentAttempt {
  attempt: Attempt | null;
  /** A new attempt with a fresh Idempotency-Key; ignored until the last one is reset. */
  start: (req: PayRequest) => void;
  /** Send the same attempt again (same key): never a second payment. */
  resend: () => void;
  reset: () => void;
}

/**
 * Pays once per attempt: `POST /api/payments` (or `/api/account-payments`) with an
 * Idempotency-Key made at the tap and kept for every re-send of that attempt — after a timeout,
 * a network error or a 5xx, the edge answers the same key with the same payment. Then follows
 * the payment live from the kiosk's event stream, and reads it again whenever the stream was down.
 */
export function usePaymentAttempt(bus: PaymentBus): PaymentAttempt {
  const [attempt, setAttempt] = useState<Attempt | null>(null);
  const [sendRun, setSendRun] = useState(0);
  const req = useRef<PayRequest | null>(null);

  /** From the tap until reset: a second tap (or a double tap's second event) starts nothing. */
  const underWay = useRef(false);

  const start = useCallback((r: PayRequest) => {
    if (underWay.current) return;
    underWay.current = true;
    req.current = r;
    setAttempt({ phase: 'sending', key: newRequestId(), failures: 0 });
  }, []);
  const resend = useCallback(() => {
    setAttempt((a) => (a?.phase === 'send-failed' ? { phase: 'sending', key: a.key, failures: 0 } : a));
    setSendRun((n) => n + 1);
  }, []);
  const reset = useCallback(() => {
    underWay.current = false;
    setAttempt(null);
  }, []);

  const sendingKey = attempt?.phase === 'sending' ? attempt.key : null;
  useEffect(() => {
    const r = req.current;
    if (!sendingKey || !r) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const send = async (): Promise<void> => {
      const path = r.kind === 'sale' ? '/api/payments' : '/api/account-payments';
      const body =
        r.kind === 'sale'
          ? { amountFen: r.amountFen, item: r.item, deviceId: r.deviceId }
          : { amountFen: r.amountFen, item: r.item, readerId: r.readerId };
      try {
        const created = await api<PaymentCreated>('POST', path, body, {
          timeoutMs: ATTEMPT_TIMEOUT_MS,
          headers: { 'Idempotency-Key': sendingKey },
        });
        if (stopped) return;
        setAttempt({ phase: 'tracking', key: sendingKey, created, view: null, prompt: null });
      } catch (err) {
        if (stopped) return;
        const e =
          err instanceof HttpError
            ? err
            : new HttpError({ statusCode: 0, code: 'CLIENT', error: 'Error', message: String(err) });
        if (isRefusal(e)) {
          setAttempt({ phase: 'refused', key: sendingKey, error: e });
          return;
        }
        failures += 1;
        if (failures >= AUTO_SENDS) {
          setAttempt({ phase: 'send-failed', key: sendingKey, error: e });
          return;
        }
        const n = failures;
        setAttempt((a) => (a?.phase === 'sending' && a.key === sendingKey ? { ...a, failures: n } : a));
        timer = setTimeout(() => void send(), retryDelayMs(failures));
      }
    };
    void send();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sendingKey, sendRun]);

  const trackedId = attempt?.phase === 'tracking' ? attempt.created.id : null;
  useEffect(() => {
    if (!trackedId) return;
    let stopped = false;
    const apply = (view: PaymentView) =>
      setAttempt((a) =>
        a?.phase === 'tracking' && a.created.id === view.id && isNewer(a.view, view) ? { ...a, view } : a,
      );
    const reread = async (): Promise<void> => {
      try {
        const view = await api<PaymentView>(
          'GET',
          `/api/payments/${encodeURIComponent(trackedId)}`,
          undefined,
          {
            timeoutMs: ATTEMPT_TIMEOUT_MS,
          },
        );
        if (!stopped) apply(view);
      } catch {
        // Read again on the next reconnection or poll.
      }
    };
    const off = bus.subscribe({
      payment: (view) => {
        if (view.id === trackedId) apply(view);
      },
      prompt: (p) => {
        if (p.id !== trackedId) return;
        setAttempt((a) =>
          a?.phase === 'tracking' && a.created.id === p.id ? { ...a, prompt: p.prompt } : a,
        );
      },
      reopened: () => void reread(),
    });
    void reread();
    const poll = setInterval(() => {
      if (!bus.open) void reread();
    }, POLL_MS);
    return () => {
      stopped = true;
      off();
      clearInterval(poll);
    };
  }, [trackedId, bus]);

  return { attempt, start, resend, reset };
}
