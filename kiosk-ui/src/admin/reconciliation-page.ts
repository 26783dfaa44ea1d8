import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { DeviceView } from '../../../edge/api/types';
import { api } from '../api';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatFen } from '../money';
import type { ReconciliationReport } from '../payment-types';
import { formatDateTime } from '../time';
import { paymentsErrorText } from './payment-bits';
import { useAction, useGet } from './points-load';
import { ReportView } from './reconciliation-report';

/** Settle now, one button per bank terminal, asked first: the batch closes and voids end. */
function SettleNow({
  onSettled,
  onAuthLost,
}: {
  onSettled: (r: ReconciliationReport) => void;
  onAuthLost: () => void;
}) {
  const { t } = useI18n();
  const devices = useGet<DeviceView[]>('/api/devices', onAuthLost);
  const action = useAction(onAuthLost);
  const [asking, setAsking] = useState<string | null>(null);
  const terminals = (devices.data ?? []).filter((d) => d.type === 'bank-terminal');
  const settle = (deviceId: string) => {
    let report: ReconciliationReport | null = null;
    void action
      .run(async () => {
        report = await api<ReconciliationReport>('POST', '/api/settlements', { deviceId });
      })
      .then(() => {
        setAsking(null);
        if (report) onSettled(report);
      });
  };
  return html`<section class="rec-settle" data-testid="rec-settle">
    <h3>${t('recSettle')}</h3>
    ${devices.data !== null && terminals.length === 0 ? html`<p class="empty">${t('recNoTerminals')}</p>` : null}
    <div class="form-buttons">
      ${terminals.map(
        (
          d,
        ) => html`<button type="button" data-testid=${`rec-settle-${d.id}`} disabled=${action.busy} onClick=${() => setAsking(d.id)}>
          ${t('recSettle')} · ${t('recSettleOn', { id: d.id })}
        </button>`,
      )}
    </div>
    ${
      asking
        ? html`<div class="notice" role="alertdialog" data-testid="rec-settle-dialog">
          <p class="notice-warn">${t('recSettleWarn', { id: asking })}</p>
          <div class="form-buttons">
            <button type="button" class="danger-solid" data-testid="rec-settle-confirm" disabled=${action.busy} onClick=${() => settle(asking)}>${t('recSettleConfirm')}</button>
            <button type="button" class="secondary" onClick=${() => setAsking(null)}>${t('cancel')}</button>
          </div>
        </div>`
        : null
    }
    ${action.error ? html`<p class="form-error" role="alert">${paymentsErrorText(action.error, t)}</p>` : null}
  </section>`;
}

/** The reconciliation reports, newest first; one opened as its own page (`#payments/reconciliation/<id>`). */
export function ReconciliationPage({
  openId,
  onAuthLost,
}: {
  openId?: string | undefined;
  onAuthLost: () => void;
}) {
  const { t, locale } = useI18n();
  const reports = useGet<ReconciliationReport[]>('/api/reconciliations', onAuthLost);
  if (openId) return html`<${ReportView} key=${openId} id=${openId} onAuthLost=${onAuthLost} />`;
  const open = (r: ReconciliationReport) => {
    void reports.reload();
    location.hash = `#payments/reconciliation/${encodeURIComponent(r.id)}`;
  };
  const list = reports.data ?? [];
  return html`<div data-testid="rec-page">
    <${SettleNow} onSettled=${open} onAuthLost=${onAuthLost} />
    <h3>${t('recReports')}</h3>
    ${reports.error ? html`<p class="form-error" role="alert">${paymentsErrorText(reports.error, t)}</p>` : null}
    ${reports.data !== null && list.length === 0 ? html`<p class="empty">${t('recNoReports')}</p>` : null}
    ${
      list.length > 0
        ? html`<div class="table-wrap"><table class="devices clickable" data-testid="rec-table">
          <thead><tr>
            <th>${t('recColAt')}</th><th>${t('recColDevice')}</th><th>${t('recColBatch')}</th><th>${t('recColTrigger')}</th>
            <th class="num">${t('recEdge')}</th><th class="num">${t('recTerminal')}</th><th>${t('recColMatched')}</th>
          </tr></thead>
          <tbody>
            ${list.map(
              (
                r,
              ) => html`<tr key=${r.id} data-testid=${`rec-${r.id}`} data-matched=${String(r.matched)} onClick=${() => open(r)}>
                <td><a href=${`#payments/reconciliation/${encodeURIComponent(r.id)}`}>${formatDateTime(r.at, locale)}</a></td>
                <td><code>${r.deviceId}</code></td>
                <td>${r.batchNo}</td>
                <td>${t(`recTrigger_${r.trigger}` as MessageKey)}</td>
                <td class="num">${r.edge.count} · ${formatFen(r.edge.totalFen)}</td>
                <td class="num">${r.terminal.count} · ${formatFen(r.terminal.totalFen)}</td>
                <td><span class=${r.matched ? 'rec-flag ok' : 'rec-flag bad'}>${r.matched ? t('recMatched') : t('recMismatched')}</span></td>
              </tr>`,
            )}
          </tbody>
        </table></div>`
        : null
    }
  </div>`;
}
