import { html } from 'htm/preact';
import { useI18n } from '../i18n-context';
import { CardWait, Confirming, Declined, Receipt, refusalText } from './pay-result';
import type { Attempt } from './use-payment-attempt';

/**
 * One attempt on screen, by its phase and the payment's state: sending, sending again by hand,
 * refused, then card → approved (receipt) | declined | unknown (confirming, nothing to tap).
 */
export function AttemptView({
  attempt: a,
  sale,
  label,
  onResend,
}: {
  attempt: Attempt;
  sale: boolean;
  label: (itemId: string) => string;
  onResend: () => void;
}) {
  const { t } = useI18n();
  switch (a.phase) {
    case 'sending':
      return html`<p class="pay-note" data-testid="pay-sending" role="status">${a.failures > 0 ? t('payRetrySend') : t('paySending')}</p>`;
    case 'send-failed':
      return html`<div class="pay-result bad" data-testid="pay-send-failed">
        <p class="pay-reason">${refusalText(a.error, t)}</p>
        <button type="button" class="big-button pay-primary" data-testid="pay-resend" onClick=${onResend}>${t('payTryAgain')}</button>
      </div>`;
    case 'refused':
      return html`<div class="pay-result bad" data-testid="pay-refused" data-code=${a.error.body.code}>
        <p class="pay-reason">${refusalText(a.error, t)}</p>
      </div>`;
    case 'tracking': {
      const { view } = a;
      const state = view?.state ?? a.created.state;
      if (view && state === 'approved')
        return html`<${Receipt} view=${view} itemLabel=${label(view.item)} />`;
      if (view && state === 'declined') return html`<${Declined} view=${view} />`;
      if (view && state === 'voided')
        return html`<p class="pay-note" data-testid="pay-voided">${t('payVoided')}</p>`;
      if (state === 'unknown') return html`<${Confirming} />`;
      return html`<${CardWait} sale=${sale} prompt=${a.prompt ?? view?.prompt ?? null} />`;
    }
  }
}
