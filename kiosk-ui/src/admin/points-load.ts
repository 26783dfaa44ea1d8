import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Role } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import type { Translate } from '../i18n';
import { errorText } from './error-text';
import type { SchemeView } from './points-types';

const RANK: Record<Role, number> = { viewer: 0, staff: 1, admin: 2 };

/** What every points page needs: who is looking, the scheme, and what to do when the login is gone. */
export interface PointsCtx {
  role: Role;
  scheme: SchemeView;
  reloadScheme: () => Promise<void>;
  onAuthLost: () => void;
}

export const PointsContext = createContext<PointsCtx | null>(null);

export function usePoints(): PointsCtx {
  const ctx = useContext(PointsContext);
  if (!ctx) throw new Error('usePoints outside PointsContext.Provider');
  return ctx;
}

/** The API's roles, as its routes check them: a page hides what the role may not do. */
export function can(role: Role, needs: Role): boolean {
  return RANK[role] >= RANK[needs];
}

export interface Loaded<T> {
  data: T | null;
  error: HttpError | null;
  reload: () => Promise<void>;
}

/**
 * `GET path` on mount and whenever the path changes (null: nothing to load); a slower answer for
 * an older path never overwrites a newer one. 401 ends the login.
 */
export function useGet<T>(path: string | null, onAuthLost: () => void): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<HttpError | null>(null);
  const last = useRef(0);
  const authLost = useRef(onAuthLost);
  authLost.current = onAuthLost;

  const reload = useCallback(async () => {
    const mine = ++last.current;
    if (path === null) {
      setData(null);
      return;
    }
    try {
      const body = await api<T>('GET', path);
      if (mine !== last.current) return;
      setData(body);
      setError(null);
    } catch (err) {
      if (mine !== last.current) return;
      const e = toHttpError(err);
      if (e.status === 401) authLost.current();
      else setError(e);
    }
  }, [path]);

  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload };
}

export function toHttpError(err: unknown): HttpError {
  return err instanceof HttpError
    ? err
    : new HttpError({ statusCode: 0, code: 'CLIENT', error: 'Error', message: String(err) });
}

/** A refused points request in the admin's words; the business refusals by their code. */
export function pointsErrorText(err: HttpError, t: Translate): string {
  switch (err.body.code) {
    case 'POINTS_BALANCE':
      return t('ptsErrBalance', { msg: err.body.message });
    case 'POINTS_STOCK':
      return t('ptsErrStock', { msg: err.body.message });
    case 'POINTS_INVALID':
      return t('ptsErrInvalid', { msg: err.body.message });
    case 'BAD_REQUEST':
      return t('ptsErrValidation', { msg: err.body.message });
    default:
      return errorText(err, t);
  }
}

export interface Action {
  busy: boolean;
  error: HttpError | null;
  /** Runs `fn` once at a time; resolves true when it succeeded. */
  run: (fn: () => Promise<void>) => Promise<boolean>;
  clear: () => void;
}

/** A button's request: busy while it runs, its refusal kept to be shown. 401 ends the login. */
export function useAction(onAuthLost: () => void): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<HttpError | null>(null);
  const running = useRef(false);
  const authLost = useRef(onAuthLost);
  authLost.current = onAuthLost;
  const run = useCallback(async (fn: () => Promise<void>) => {
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setError(null);
    try {
      await fn();
      return true;
    } catch (err) {
      const e = toHttpError(err);
      if (e.status === 401) authLost.current();
      else setError(e);
      return false;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(null), []);
  return { busy, error, run, clear };
}
