import type { KioskSessionResponse } from '../../../edge/api/types';
import { api, statusOf } from '../api';

/**
 * Pairing a kiosk screen: the admin registers a device of type `kiosk` and opens its one-time
 * link `/kiosk/#token=…` here. The token goes to `POST /api/kiosk/session`, which sets an HttpOnly
 * cookie; from then on the cookie is the kiosk's credential and the token leaves the URL.
 */
export type PairOutcome =
  | { state: 'paired'; house: string; deviceId: string }
  | { state: 'not-paired'; reason: 'bad-link' | 'no-session' }
  /** No clear answer from `GET /api/kiosk/me` (network, 5xx): let the event stream decide. */
  | { state: 'unknown'; house: string | null };

const HOUSE_KEY = 'linli.kiosk.house';

export function tokenFromHash(hash: string): string | null {
  const match = /^#token=([^&]+)/.exec(hash);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

function clearHash(): void {
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
}

function remember(session: KioskSessionResponse): PairOutcome {
  try {
    localStorage.setItem(HOUSE_KEY, session.house);
  } catch {
    // Storage unavailable: the house name is fetched again on the next load.
  }
  return { state: 'paired', house: session.house, deviceId: session.deviceId };
}

function rememberedHouse(): string | null {
  try {
    return localStorage.getItem(HOUSE_KEY);
  } catch {
    return null;
  }
}

/** A 4xx other than 429 is the server's clear "no"; 5xx, 429 and no answer are not. */
function isRefusal(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 429;
}

export async function pairKiosk(): Promise<PairOutcome> {
  const token = tokenFromHash(location.hash);
  let badLink = false;
  if (token) {
    try {
      const session = await api<KioskSessionResponse>('POST', '/api/kiosk/session', { token });
      clearHash();
      return remember(session);
    } catch (err) {
      const status = statusOf(err);
      // Keep the link in the address bar only when the server never answered, so a reload retries.
      if (status !== 0) clearHash();
      badLink = isRefusal(status);
    }
  }
  try {
    return remember(await api<KioskSessionResponse>('GET', '/api/kiosk/me'));
  } catch (err) {
    const status = statusOf(err);
    if (badLink) return { state: 'not-paired', reason: 'bad-link' };
    if (status === 401 || status === 403) return { state: 'not-paired', reason: 'no-session' };
    return { state: 'unknown', house: rememberedHouse() };
  }
}
