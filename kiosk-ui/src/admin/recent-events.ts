import { html } from 'htm/preact';
import type { QrScannedView } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { formatDateTime, formatTimeOfDay } from '../time';

export function RecentEvents({ events }: { events: QrScannedView[] }) {
  const { t, locale } = useI18n();
  return html`<section class="panel recent" data-testid="recent-events">
    <h2>${t('recentEvents')}</h2>
    ${
      events.length === 0
        ? html`<p class="empty">${t('noEvents')}</p>`
        : html`<ol class="event-list">
          ${events.map(
            (e) => html`<li key=${e.recordId} data-testid="recent-event">
              <time datetime=${e.ts} title=${formatDateTime(e.ts, locale)}>${formatTimeOfDay(e.ts, locale)}</time>
              <code class="event-device">${e.deviceId}</code>
              <span class="event-kind">${e.kind === 'url' ? t('scanKindUrl') : t('scanKindText')}</span>
              <span class="event-text">${e.text}</span>
            </li>`,
          )}
        </ol>`
    }
  </section>`;
}
