import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { AccountView } from '../payment-types';
import { formatDateTime } from '../time';
import { paymentsErrorText } from './payment-bits';
import { useGet } from './points-load';

/** A resident-card account by resident id (`#payments/accounts/<id>`): balance and entries. */
export function AccountLookup({
  residentId,
  onAuthLost,
}: {
  residentId?: string | undefined;
  onAuthLost: () => void;
}) {
  const { t, locale } = useI18n();
  const [typed, setTyped] = useState(residentId ?? '');
  const got = useGet<AccountView>(
    residentId ? `/api/accounts/${encodeURIComponent(residentId)}` : null,
    onAuthLost,
  );
  const submit = (e: Event) => {
    e.preventDefault();
    const id = typed.trim();
    if (id) location.hash = `#payments/accounts/${encodeURIComponent(id)}`;
  };
  const a = residentId && got.data?.residentId === residentId ? got.data : null;
  return html`<div data-testid="acc-page">
    <form class="inline-form" onSubmit=${submit} data-testid="acc-form">
      <label class="field inline">
        <span>${t('accResident')}</span>
        <input name="residentId" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">${t('accLookup')}</button>
    </form>
    ${residentId && got.error ? html`<p class="form-error" role="alert">${paymentsErrorText(got.error, t)}</p>` : null}
    ${
      a
        ? html`<section class="acc-view" data-testid="acc-view">
          <p class="acc-balance">${t('accBalance')}：<strong data-testid="acc-balance">${formatFen(a.balanceFen)}</strong></p>
          <h4>${t('accEntries')}</h4>
          ${
            a.entries.length === 0
              ? html`<p class="empty">${t('accNoEntries')}</p>`
              : html`<table class="devices" data-testid="acc-entries">
                <thead><tr><th>${t('payColTime')}</th><th>${t('accColPayment')}</th><th class="num">${t('payColAmount')}</th></tr></thead>
                <tbody>
                  ${a.entries.map(
                    (e) => html`<tr>
                      <td>${formatDateTime(e.at, locale)}</td>
                      <td><a href=${`#payments/list/${encodeURIComponent(e.payment)}`}><code>${e.payment}</code></a></td>
                      <td class=${e.amountFen < 0 ? 'num minus' : 'num'}>${formatFen(e.amountFen)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>`
          }
        </section>`
        : null
    }
  </div>`;
}
