import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { PaymentView } from '../payment-types';
import { formatDateTime } from '../time';
import { paymentsErrorText, StateChip, useItemName } from './payment-bits';
import { useAction, useGet } from './points-load';

/**
 * One payment: what, how much, where, the card (masked), the terminal's code and text, the
 * receipt link and the history. Staff void an approved sale (asked first) and ask the terminal
 * about an unknown one now. `version` changes when the live stream says something changed.
 */
export function PaymentDetail({
  id,
  version,
  onAuthLost,
}: {
  id: string;
  version: number;
  onAuthLost: () => void;
}) {
  const { t, locale } = useI18n();
  const got = useGet<PaymentView>(`/api/payments/${encodeURIComponent(id)}`, onAuthLost);
  const action = useAction(onAuthLost);
  const itemName = useItemName(onAuthLost);
  const [asking, setAsking] = useState(false);
  const [note, setNote] = useState<MessageKey | null>(null);
  const { reload } = got;
  useEffect(() => {
    if (version > 0) void reload();
  }, [version, reload]);

  const p = got.data;
  if (!p) {
    return got.error
      ? html`<p class="form-error" role="alert">${paymentsErrorText(got.error, t)}</p>`
      : html`<p class="empty">${t('loading')}</p>`;
  }
  const voidIt = () =>
    void action
      .run(async () => {
        await api<PaymentView>('POST', `/api/payments/${encodeURIComponent(p.id)}/void`);
      })
      .then((ok) => {
        setAsking(false);
        if (ok) setNote('payVoided2');
        return reload();
      });
  const queryNow = () =>
    void action
      .run(async () => {
        await api<unknown>('POST', `/api/payments/${encodeURIComponent(p.id)}/query`);
      })
      .then((ok) => {
        if (ok) setNote('payQueried');
        return reload();
      });

  return html`<section class="pay-detail" data-testid="pay-detail" data-state=${p.state}>
    <h3>${t('payDetailTitle')} <code>${p.ref}</code> <${StateChip} state=${p.state} /></h3>
    <dl class="pay-dl">
      <dt>${t('payColItem')}</dt><dd>${itemName(p.item)}</dd>
      <dt>${t('payColAmount')}</dt><dd data-testid="pay-detail-amount">${formatFen(p.amountFen)}</dd>
      <dt>${t('payColKind')}</dt><dd>${t(`payKind_${p.kind}` as MessageKey)}</dd>
      <dt>${t('payColDevice')}</dt><dd><code>${p.deviceId}</code></dd>
      ${p.residentId ? html`<dt>${t('payResident')}</dt><dd><code>${p.residentId}</code></dd>` : null}
      ${p.maskedPan ? html`<dt>${t('payColCard')}</dt><dd>${p.maskedPan}</dd>` : null}
      ${p.code ? html`<dt>${t('payCodeText')}</dt><dd data-testid="pay-detail-code">${p.code}${p.text ? ` · ${p.text}` : ''}</dd>` : null}
      ${p.receiptUrl ? html`<dt>${t('payReceiptLink')}</dt><dd><a href=${p.receiptUrl} target="_blank" rel="noopener">${t('payReceiptLink')}</a></dd>` : null}
    </dl>
    <h4>${t('payHistory')}</h4>
    <ol class="pay-history" data-testid="pay-history">
      ${p.history.map((h) => html`<li><${StateChip} state=${h.state} /> <time datetime=${h.at}>${formatDateTime(h.at, locale)}</time></li>`)}
    </ol>
    ${note ? html`<p class="notice-ok" role="status" data-testid="pay-detail-note">${t(note)}</p>` : null}
    ${action.error ? html`<p class="form-error" role="alert" data-testid="pay-detail-error">${paymentsErrorText(action.error, t)}</p>` : null}
    <div class="form-buttons">
      ${
        p.state === 'unknown'
          ? html`<button type="button" data-testid="pay-query" disabled=${action.busy} onClick=${queryNow}>${t('payQueryNow')}</button>`
          : null
      }
      ${
        p.state === 'approved' && p.kind === 'sale' && !asking
          ? html`<button type="button" class="danger" data-testid="pay-void" disabled=${action.busy} onClick=${() => setAsking(true)}>${t('payVoid')}</button>`
          : null
      }
    </div>
    ${
      asking
        ? html`<div class="notice" role="alertdialog" data-testid="pay-void-dialog">
          <p class="notice-warn">${t('payVoidWarn', { amount: formatFen(p.amountFen) })}</p>
          <div class="form-buttons">
            <button type="button" class="danger-solid" data-testid="pay-void-confirm" disabled=${action.busy} onClick=${voidIt}>${t('payVoidConfirm')}</button>
            <button type="button" class="secondary" onClick=${() => setAsking(false)}>${t('payVoidNo')}</button>
          </div>
        </div>`
        : null
    }
  </section>`;
}
