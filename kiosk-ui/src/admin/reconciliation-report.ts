import { html } from 'htm/preact';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { MismatchKind, ReconciliationReport } from '../payment-types';
import { formatDateTime } from '../time';
import { paymentsErrorText, StateChip, useItemName } from './payment-bits';
import { useGet } from './points-load';

const MISMATCH_KEY = {
  'unknown-at-settlement': 'recMismatch_unknown',
  count: 'recMismatch_count',
  total: 'recMismatch_total',
} as const satisfies Record<MismatchKind, string>;

/**
 * One reconciliation report: the edge's and the terminal's count and total side by side, the
 * matched flag, every mismatch with the payment it names, the batch's payments, and the CSV.
 */
export function ReportView({ id, onAuthLost }: { id: string; onAuthLost: () => void }) {
  const { t, locale } = useI18n();
  const got = useGet<ReconciliationReport>(`/api/reconciliations/${encodeURIComponent(id)}`, onAuthLost);
  const itemName = useItemName(onAuthLost);
  const r = got.data;
  const back = html`<a href="#payments/reconciliation" data-testid="rec-back">← ${t('recBack')}</a>`;
  if (!r)
    return html`<div>${back}${
      got.error
        ? html`<p class="form-error" role="alert">${paymentsErrorText(got.error, t)}</p>`
        : html`<p class="empty">${t('loading')}</p>`
    }</div>`;
  const differs = (a: number, b: number) => (a === b ? '' : 'rec-differs');
  return html`<section class="rec-report" data-testid="rec-report" data-matched=${String(r.matched)}>
    ${back}
    <h3>
      ${t('recReportTitle', { id: r.deviceId, batch: String(r.batchNo) })}
      <span class=${r.matched ? 'rec-flag ok' : 'rec-flag bad'} data-testid="rec-matched">${r.matched ? t('recMatched') : t('recMismatched')}</span>
    </h3>
    <p class="sub">${formatDateTime(r.at, locale)} · ${t(`recTrigger_${r.trigger}`)}</p>
    <table class="devices rec-sides" data-testid="rec-sides">
      <thead><tr><th></th><th class="num">${t('recCount')}</th><th class="num">${t('recTotal')}</th></tr></thead>
      <tbody>
        <tr><th>${t('recEdge')}</th>
          <td class=${`num ${differs(r.edge.count, r.terminal.count)}`} data-testid="rec-edge-count">${r.edge.count}</td>
          <td class=${`num ${differs(r.edge.totalFen, r.terminal.totalFen)}`} data-testid="rec-edge-total">${formatFen(r.edge.totalFen)}</td></tr>
        <tr><th>${t('recTerminal')}</th>
          <td class=${`num ${differs(r.edge.count, r.terminal.count)}`} data-testid="rec-terminal-count">${r.terminal.count}</td>
          <td class=${`num ${differs(r.edge.totalFen, r.terminal.totalFen)}`} data-testid="rec-terminal-total">${formatFen(r.terminal.totalFen)}</td></tr>
      </tbody>
    </table>
    <p><a href=${`/api/reconciliations/${encodeURIComponent(r.id)}.csv`} download data-testid="rec-csv">${t('recCsv')}</a></p>
    ${
      r.mismatches.length > 0
        ? html`<h4>${t('recMismatches')}</h4>
          <ul class="rec-mismatches" data-testid="rec-mismatches">
            ${r.mismatches.map(
              (m) => html`<li data-kind=${m.kind}>
                <strong>${t(MISMATCH_KEY[m.kind] ?? 'recMismatches')}</strong>
                ${m.paymentId ? html` · <a href=${`#payments/list/${encodeURIComponent(m.paymentId)}`}><code>${m.ref ?? m.paymentId}</code></a>` : m.ref ? html` · <code>${m.ref}</code>` : null}
                ${m.amountFen !== undefined ? ` · ${formatFen(m.amountFen)}` : ''}
                <span class="sub"> — ${m.detail}</span>
              </li>`,
            )}
          </ul>`
        : null
    }
    <h4>${t('recPayments')}</h4>
    ${
      r.payments.length === 0
        ? html`<p class="empty">${t('payNone')}</p>`
        : html`<table class="devices" data-testid="rec-payments">
          <thead><tr><th>${t('payColRef')}</th><th>${t('payColItem')}</th><th class="num">${t('payColAmount')}</th><th>${t('payColState')}</th></tr></thead>
          <tbody>
            ${r.payments.map(
              (p) => html`<tr key=${p.id}>
                <td><a href=${`#payments/list/${encodeURIComponent(p.id)}`}><code>${p.ref}</code></a></td>
                <td>${itemName(p.item)}</td>
                <td class="num">${formatFen(p.amountFen)}</td>
                <td><${StateChip} state=${p.state} /></td>
              </tr>`,
            )}
          </tbody>
        </table>`
    }
  </section>`;
}
