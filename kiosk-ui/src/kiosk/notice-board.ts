import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { KioskNoticeView } from '../../../edge/api/types';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { useNow } from '../use-now';

/** Notices are re-read this often even without a `kiosk.notices` event (a `from` time comes). */
const REREAD_MS = 60_000;
/** The attract screen has room for this many. */
const SHOWN = 3;

/**
 * The current notices of the house (`GET /api/kiosk/notices`), re-read whenever `version` changes
 * (SSE `kiosk.notices`: edited here or on the cloud; a reconnection) and every minute; `null`: the
 * screen is not paired, nothing is read. A failed read keeps the last.
 */
export function useKioskNotices(version: number | null): KioskNoticeView[] {
  const [notices, setNotices] = useState<KioskNoticeView[]>([]);
  useEffect(() => {
    if (version === null) return;
    let cancelled = false;
    const load = () =>
      api<KioskNoticeView[]>('GET', '/api/kiosk/notices', undefined, { timeoutMs: 8000 }).then(
        (n) => {
          if (!cancelled) setNotices(n);
        },
        () => undefined,
      );
    void load();
    const timer = setInterval(() => void load(), REREAD_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [version]);
  return notices;
}

/** The notice board on the attract screen: pinned first, an ended notice leaves at its `until`. */
export function NoticeBoard({ notices }: { notices: KioskNoticeView[] }) {
  const { t } = useI18n();
  const now = useNow(10_000);
  const shown = notices.filter((n) => !n.until || Date.parse(n.until) > now).slice(0, SHOWN);
  if (shown.length === 0) return null;
  return html`<section class="notice-board" data-testid="kiosk-notices" aria-label=${t('kioskNoticesTitle')}>
    <h2>${t('kioskNoticesTitle')}</h2>
    <ul>
      ${shown.map(
        (n) => html`<li key=${n.id} class=${n.pinned ? 'pinned' : ''} data-testid="kiosk-notice">
          ${n.pinned ? html`<span class="pin-tag">${t('ntcPinned')}</span>` : null}<strong>${n.title}</strong>
          ${n.body ? html`<p>${n.body}</p>` : null}
        </li>`,
      )}
    </ul>
  </section>`;
}
