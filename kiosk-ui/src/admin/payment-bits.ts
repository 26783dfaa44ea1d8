import { html } from 'htm/preact';
import { useCallback } from 'preact/hooks';
import type { HttpError } from '../api';
import type { MessageKey, Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import type { PaymentItem, PaymentState } from '../payment-types';
import { errorText } from './error-text';
import { useGet } from './points-load';

/** A payment's state as a coloured chip: unknown stands out, the finals read at a glance. */
export function StateChip({ state }: { state: PaymentState }) {
  const { t } = useI18n();
  return html`<span class=${`pay-state pay-state-${state}`} data-state=${state}>${t(`payState_${state}` as MessageKey)}</span>`;
}

/** A refused payments request in the staff's words; the business refusals by their code. */
export function paymentsErrorText(err: HttpError, t: Translate): string {
  switch (err.body.code) {
    case 'NOT_VOIDABLE':
      return t('payErrNotVoidable');
    case 'TERMINAL_BUSY':
      return t('payErrBusy');
    case 'TERMINAL_OFFLINE':
      return t('payErrOffline');
    case 'NOT_QUERYABLE':
      return t('payErrNotQueryable');
    default:
      return errorText(err, t);
  }
}

export const PAYMENT_STATES: PaymentState[] = [
  'unknown',
  'created',
  'sent',
  'waiting-card',
  'approved',
  'declined',
  'voided',
];

/** An item's name in the page's language from the catalogue (`GET /api/payments/items`); its id until loaded. */
export function useItemName(onAuthLost: () => void): (id: string) => string {
  const { lang } = useI18n();
  const items = useGet<PaymentItem[]>('/api/payments/items', onAuthLost).data;
  return useCallback(
    (id: string) => {
      const item = items?.find((i) => i.id === id);
      return item ? item.name[lang] || item.name.zh : id;
    },
    [items, lang],
  );
}
