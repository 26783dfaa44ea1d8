import { html } from 'htm/preact';
import type { HttpError } from '../api';
import type { MessageKey, Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { PaymentView } from '../payment-types';
import { formatDateTime } from '../time';

/** Why a payment could not even start, in the resident's words. */
export function refusalText(err: HttpError, t: Translate): string {
  if (err.body.code === 'TERMINAL_BUSY') return t('payBusy');
  if (err.body.code === 'TERMINAL_OFFLINE' || err.status === 404) return t('payOffline');
  if (err.status === 0) return t('errNetwork');
  return t('payFailed', { msg: err.body.message });
}

const KNOWN_CODES = new Set(['51', '55', 'C', 'NF', 'NOFUNDS', 'CARD', 'TIMEOUT']);

/** Why a payment was declined, in plain words: the known codes by name, others with the code. */
export function declineReason(view: Pick<PaymentView, 'code' | 'text'>, t: Translate): string {
  const code = view.code ?? '';
  if (KNOWN_CODES.has(code)) return t(`payCode_${code}` as MessageKey);
  return t('payCodeOther', { code: code || '?' });
}

function Alt({ k }: { k: MessageKey }) {
  const { t, lang } = useI18n();
  return html`<p class="alt" lang=${lang === 'zh' ? 'en' : 'zh-CN'}>${t(k)}</p>`;
}

/** Approved: what was paid, on which card, when, and the receipt's QR to keep. */
export function Receipt({ view, itemLabel }: { view: PaymentView; itemLabel: string }) {
  const { t, locale } = useI18n();
  const at = view.history.find((h) => h.state === 'approved')?.at ?? view.updatedAt;
  // A receipt exists once the edge made its token (docs/payments.md: `receiptUrl` once approved).
  const hasReceipt = view.receiptUrl !== undefined;
  return html`<div class="pay-result ok" data-testid="pay-approved">
    <div class="pay-receipt">
      <div>
        <h2>✓ ${t('payApproved')}</h2>
        <${Alt} k="payApprovedAlt" />
        <dl class="pay-facts">
          <dt>${t('payAmount')}</dt><dd data-testid="receipt-amount">${formatFen(view.amountFen)}</dd>
          <dt>${t('payItem')}</dt><dd data-testid="receipt-item">${itemLabel}</dd>
          ${view.maskedPan ? html`<dt>${t('payCard')}</dt><dd data-testid="receipt-card">${view.maskedPan}</dd>` : null}
          <dt>${t('payTime')}</dt><dd data-testid="receipt-time">${formatDateTime(at, locale)}</dd>
          <dt>${t('payRef')}</dt><dd>${view.ref}</dd>
          ${
            view.balanceFen !== undefined
              ? html`<dt>${t('payBalance')}</dt><dd data-testid="receipt-balance">${formatFen(view.balanceFen)}</dd>`
              : null
          }
        </dl>
      </div>
      ${
        hasReceipt
          ? html`<figure class="pay-qr">
            <img data-testid="receipt-qr" alt=${t('payReceiptQr')} src=${`/api/payments/${encodeURIComponent(view.id)}/receipt.svg`} />
            <figcaption>${t('payReceiptQr')}</figcaption>
          </figure>`
          : null
      }
    </div>
  </div>`;
}

export function Declined({ view }: { view: PaymentView }) {
  const { t } = useI18n();
  return html`<div class="pay-result bad" data-testid="pay-declined" data-code=${view.code ?? ''}>
    <h2>${t('payDeclined')}</h2>
    <${Alt} k="payDeclinedAlt" />
    <p class="pay-reason" data-testid="pay-decline-reason">${declineReason(view, t)}</p>
    ${view.text ? html`<p class="pay-note" data-testid="pay-decline-text">${view.text}</p>` : null}
  </div>`;
}

/** The result is lost for now: the edge asks the terminal until it knows. Never "pay again" here. */
export function Confirming() {
  const { t } = useI18n();
  return html`<div class="pay-result wait" data-testid="pay-unknown" role="status" aria-live="polite">
    <div class="pay-spinner" aria-hidden="true"></div>
    <h2>${t('payUnknown')}</h2>
    <${Alt} k="payUnknownAlt" />
    <p class="pay-note">${t('payUnknownNote')}</p>
  </div>`;
}

/** Waiting for the card: on the bank terminal (with its live prompt), or a resident card on the reader. */
export function CardWait({ sale, prompt }: { sale: boolean; prompt: string | null }) {
  const { t } = useI18n();
  return html`<div class="pay-result wait" data-testid="pay-card" role="status" aria-live="polite">
    <div class="pay-card-icon" aria-hidden="true"></div>
    <h2>${t(sale ? 'payInsertCard' : 'payTapResident')}</h2>
    <${Alt} k=${sale ? 'payInsertCardAlt' : 'payTapResidentAlt'} />
    ${
      sale
        ? prompt
          ? html`<p class="pay-prompt" data-testid="pay-prompt"><small>${t('payTerminalSays')}</small>${prompt}</p>`
          : null
        : html`<p class="pay-note">${t('payTapWithin')}</p>`
    }
  </div>`;
}
