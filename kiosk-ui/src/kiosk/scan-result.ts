import { html } from 'htm/preact';
import type { QrScannedView } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { useNow } from '../use-now';

export interface ShownScan {
  scan: QrScannedView;
  /** When it went up, in ms since the epoch. */
  shownAt: number;
}

export const SCAN_SHOW_MS = 10_000;

export function ScanResult({ shown, onBack }: { shown: ShownScan; onBack: () => void }) {
  const { t } = useI18n();
  const now = useNow(250);
  const left = Math.max(1, Math.ceil((shown.shownAt + SCAN_SHOW_MS - now) / 1000));
  const { scan } = shown;
  const long = scan.text.length > 80;
  return html`<section
    class="scan-result"
    data-testid="scan-result"
    data-kind=${scan.kind}
    role="status"
    aria-live="assertive"
  >
    <div class="scan-head">
      <svg class="scan-check" viewBox="0 0 48 48" aria-hidden="true">
        <circle cx="24" cy="24" r="22" />
        <path d="M13 25 l7 7 l15 -16" />
      </svg>
      <h2>${t('scanTitle')}</h2>
    </div>
    <span class="scan-kind" data-testid="scan-kind">
      ${scan.kind === 'badge' ? t('scanKindBadge') : scan.kind === 'url' ? t('scanKindUrl') : t('scanKindText')}
    </span>
    <p class=${long ? 'scan-text long' : 'scan-text'} data-testid="scan-text">${scan.text}</p>
    ${
      scan.badge
        ? html`<div class="badge-numbers" data-testid="badge-numbers">
          <p>${t('badgeCall')}</p>
          ${scan.badge.community ? html`<p>${t('badgeCommunity')} ${scan.badge.community.name}：<strong>${scan.badge.community.phone}</strong></p>` : null}
          ${scan.badge.police ? html`<p>${t('badgePolice')} ${scan.badge.police.name}：<strong>${scan.badge.police.phone}</strong></p>` : null}
          <p><strong>120</strong></p>
        </div>`
        : null
    }
    <p class="scan-countdown">${t('scanCountdown', { n: left })}</p>
    <button type="button" class="big-button" data-testid="scan-back" onClick=${onBack}>
      ${t('scanBack')}
    </button>
  </section>`;
}
