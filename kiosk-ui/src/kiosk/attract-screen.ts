import { html } from 'htm/preact';
import type { KioskNoticeView } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { formatClockDate, formatClockTime } from '../time';
import { useNow } from '../use-now';
import { HelpButtons } from './help';
import { NoticeBoard } from './notice-board';
import type { PayMode } from './pay-flow';
import type { HelpKey } from './use-help-press';

export function AttractScreen({
  onHelp,
  calling,
  notices = [],
  onPay,
}: {
  onPay?: (mode: PayMode) => void;
  onHelp: (key: HelpKey) => void;
  calling: HelpKey | null;
  notices?: KioskNoticeView[];
}) {
  const { t, locale } = useI18n();
  const now = new Date(useNow(1000));
  return html`<section class=${notices.length > 0 ? 'attract with-notices' : 'attract'} data-testid="attract">
    <div class="attract-info">
      <div class="clock" data-testid="clock">
        <time class="clock-time" datetime=${now.toISOString()}>${formatClockTime(now, locale)}</time>
        <div class="clock-date">${formatClockDate(now, locale)}</div>
      </div>
      <div class="prompt">
        <div class="prompt-icons" aria-hidden="true">
          <span class="icon-card"></span>
          <span class="icon-qr"><i></i><i></i><i></i></span>
        </div>
        <p class="prompt-main" data-testid="prompt">${t('kioskPrompt')}</p>
        <p class="prompt-alt" lang=${locale === 'zh-CN' ? 'en' : 'zh-CN'}>${t('kioskPromptAlt')}</p>
      </div>
      <${NoticeBoard} notices=${notices} />
      ${
        onPay
          ? html`<div class="pay-entry">
            <button type="button" class="pay-entry-button" data-testid="pay-start" onClick=${() => onPay('sale')}>
              <strong>${t('payStart')}</strong><span class="alt">${t('payStartAlt')}</span>
            </button>
            <button type="button" class="pay-entry-button" data-testid="spend-start" onClick=${() => onPay('account')}>
              <strong>${t('spendStart')}</strong><span class="alt">${t('spendStartAlt')}</span>
            </button>
          </div>`
          : null
      }
    </div>
    <${HelpButtons} onHelp=${onHelp} calling=${calling} />
  </section>`;
}
