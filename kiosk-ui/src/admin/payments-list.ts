import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { PaymentState, PaymentView } from '../payment-types';
import { formatDateTime } from '../time';
import { subscribeAdminEvents } from './admin-events';
import { PAYMENT_STATES, paymentsErrorText, StateChip, useItemName } from './payment-bits';
import { PaymentDetail } from './payment-detail';
import { useGet } from './points-load';

function Rows({
  rows,
  openId,
  testId,
  itemName,
}: {
  rows: PaymentView[];
  openId?: string | undefined;
  testId: string;
  itemName: (id: string) => string;
}) {
  const { t, locale } = useI18n();
  return html`<div class="table-wrap">
    <table class="devices clickable pay-table" data-testid=${testId}>
      <thead>
        <tr>
          <th>${t('payColTime')}</th>
          <th>${t('payColItem')}</th>
          <th class="num">${t('payColAmount')}</th>
          <th>${t('payColState')}</th>
          <th>${t('payColKind')}</th>
          <th>${t('payColDevice')}</th>
          <th>${t('payColRef')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (p) => html`<tr
            key=${p.id}
            class=${p.id === openId ? 'row-selected' : ''}
            data-testid=${`payment-${p.ref}`}
            data-state=${p.state}
            onClick=${() => {
              location.hash = `#payments/list/${encodeURIComponent(p.id)}`;
            }}
          >
            <td>${formatDateTime(p.createdAt, locale)}</td>
            <td>${itemName(p.item)}</td>
            <td class="num">${formatFen(p.amountFen)}</td>
            <td><${StateChip} state=${p.state} /></td>
            <td>${t(`payKind_${p.kind}` as MessageKey)}</td>
            <td><code>${p.deviceId}</code></td>
            <td><a href=${`#payments/list/${encodeURIComponent(p.id)}`}><code>${p.ref}</code></a></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/**
 * Every payment, newest first, with a state filter; the unknown ones on top as "needs attention"
 * whatever the filter. Live: an SSE `payment` event (or a reconnection) reads the list again.
 */
export function PaymentsList({
  openId,
  onAuthLost,
}: {
  openId?: string | undefined;
  onAuthLost: () => void;
}) {
  const { t } = useI18n();
  const [state, setState] = useState<PaymentState | ''>('');
  const list = useGet<PaymentView[]>(`/api/payments?limit=200${state ? `&state=${state}` : ''}`, onAuthLost);
  const unknown = useGet<PaymentView[]>('/api/payments?state=unknown&limit=200', onAuthLost);
  const [version, setVersion] = useState(0);
  const itemName = useItemName(onAuthLost);
  const { reload } = list;
  const reloadUnknown = unknown.reload;

  useEffect(
    () =>
      subscribeAdminEvents({
        handlers: { payment: () => setVersion((n) => n + 1) },
        onState: () => undefined,
        onOpen: () => setVersion((n) => n + 1),
      }),
    [],
  );
  useEffect(() => {
    if (version === 0) return;
    void reload();
    void reloadUnknown();
  }, [version, reload, reloadUnknown]);

  const attention = unknown.data ?? [];
  const rows = (list.data ?? []).filter((p) => p.state !== 'unknown' || state === 'unknown');
  const error = list.error ?? unknown.error;
  return html`<div class="points-columns" data-testid="pay-list">
    <div class="points-main">
      ${
        attention.length > 0 && state !== 'unknown'
          ? html`<section class="pay-attention" data-testid="pay-attention" role="alert">
            <h3>⚠ ${t('payAttention')} (${attention.length})</h3>
            <p class="sub">${t('payAttentionNote')}</p>
            <${Rows} rows=${attention} openId=${openId} testId="pay-attention-table" itemName=${itemName} />
          </section>`
          : null
      }
      <label class="field inline">
        <span>${t('payFilterState')}</span>
        <select name="state" data-testid="pay-filter" value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value as PaymentState | '')}>
          <option value="">${t('payFilterAll')}</option>
          ${PAYMENT_STATES.map((s) => html`<option value=${s}>${t(`payState_${s}` as MessageKey)}</option>`)}
        </select>
      </label>
      ${error ? html`<p class="form-error" role="alert">${paymentsErrorText(error, t)}</p>` : null}
      ${list.data === null && !error ? html`<p class="empty">${t('loading')}</p>` : null}
      ${list.data !== null && rows.length === 0 ? html`<p class="empty">${t('payNone')}</p>` : null}
      ${rows.length > 0 ? html`<${Rows} rows=${rows} openId=${openId} testId="pay-table" itemName=${itemName} />` : null}
    </div>
    <div class="points-side">
      ${
        openId
          ? html`<${PaymentDetail} key=${openId} id=${openId} version=${version} onAuthLost=${onAuthLost} />`
          : html`<p class="sub">${t('payDetailPick')}</p>`
      }
    </div>
  </div>`;
}
