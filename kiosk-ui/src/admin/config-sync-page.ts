import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import type {
  ConfigConflictView,
  ConfigSyncStatusView,
  MeResponse,
  RejectedEditView,
} from '../../../edge/api/types';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { formatDateTime, formatRelative } from '../time';
import { useNow } from '../use-now';
import { errorText } from './error-text';
import { can, useAction, useGet } from './points-load';

/** How often the page re-reads the status and lists while open. */
const REFRESH_MS = 10_000;

function Status({ s }: { s: ConfigSyncStatusView }) {
  const { t, locale } = useI18n();
  const now = useNow(5000);
  const rel = (iso: string | null) =>
    html`<span title=${iso ? formatDateTime(iso, locale) : ''}>${formatRelative(iso, now, t)}</span>`;
  return html`<dl class="sync-status" data-testid="sync-status" data-enabled=${String(s.enabled)}>
    <div><dt>${t('syncVersion')}</dt><dd data-testid="sync-version">v${s.version}</dd></div>
    <div><dt>${t('syncLastPull')}</dt><dd data-testid="sync-last-pull">${rel(s.lastPullAt)}</dd></div>
    <div><dt>${t('syncLastPush')}</dt><dd>${rel(s.lastPushAt)}</dd></div>
    <div><dt>${t('syncApplied')}</dt><dd>${rel(s.appliedAt)}</dd></div>
    <div><dt>${t('syncPending')}</dt><dd class=${s.pendingEdits > 0 ? 'warn' : ''} data-testid="sync-pending">${s.pendingEdits}</dd></div>
    <div><dt>${t('syncConflicts')}</dt><dd class=${s.openConflicts > 0 ? 'warn' : ''} data-testid="sync-conflicts">${s.openConflicts}</dd></div>
    <div><dt>${t('syncRejected')}</dt><dd class=${s.rejected > 0 ? 'warn' : ''}>${s.rejected}</dd></div>
    <div class="wide"><dt>${t('syncLastError')}</dt><dd data-testid="sync-last-error">${
      s.lastError
        ? html`<code>${s.lastError.code}</code> ${s.lastError.message} (${formatDateTime(s.lastError.at, locale)})`
        : t('syncNoError')
    }</dd></div>
  </dl>`;
}

/**
 * The config sync with the cloud (`#sync`): version, last pull and upload, edits waiting, the last
 * error; the conflicts (an edge edit the cloud's newer version won over: which entity, which
 * fields, when, by whom) and the edits the cloud refused. Viewers read; admins dismiss.
 */
export function ConfigSyncPage({ me, onAuthLost }: { me: MeResponse; onAuthLost: () => void }) {
  const { t, locale } = useI18n();
  const status = useGet<ConfigSyncStatusView>('/api/config-sync', onAuthLost);
  const conflicts = useGet<ConfigConflictView[]>('/api/config-sync/conflicts', onAuthLost);
  const rejected = useGet<RejectedEditView[]>('/api/config-sync/rejected', onAuthLost);
  const action = useAction(onAuthLost);
  const isAdmin = can(me.role, 'admin');
  const { reload: reloadStatus } = status;
  const { reload: reloadConflicts } = conflicts;
  const { reload: reloadRejected } = rejected;

  useEffect(() => {
    const timer = setInterval(() => {
      void reloadStatus();
      void reloadConflicts();
      void reloadRejected();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadStatus, reloadConflicts, reloadRejected]);

  const dismiss = (list: 'conflicts' | 'rejected', edit: string) =>
    void action.run(async () => {
      await api<void>('DELETE', `/api/config-sync/${list}/${edit}`);
      await Promise.all([list === 'conflicts' ? reloadConflicts() : reloadRejected(), reloadStatus()]);
    });
  const entity = (x: { kind: string; id: string }) =>
    html`<span class="entity"><strong>${t(`kind_${x.kind as ConfigConflictView['kind']}`)}</strong> <code>${x.id}</code></span>`;
  const time = (iso: string) => html`<time datetime=${iso}>${formatDateTime(iso, locale)}</time>`;

  const s = status.data;
  return html`<section class="panel config-sync" data-testid="config-sync">
    <div class="panel-head">
      <h2>${t('syncTitle')}</h2>
      <button type="button" class="secondary" data-testid="sync-reload" onClick=${() => {
        void reloadStatus();
        void reloadConflicts();
        void reloadRejected();
      }}>${t('syncReload')}</button>
    </div>
    ${status.error ? html`<p class="form-error" role="alert">${errorText(status.error, t)}</p>` : null}
    ${action.error ? html`<p class="form-error" role="alert">${errorText(action.error, t)}</p>` : null}
    ${s && !s.enabled ? html`<p class="notice-warn" data-testid="sync-off">${t('syncOff')}</p>` : null}
    ${s?.pointsProblem ? html`<p class="notice-warn">${t('syncPointsProblem', { msg: s.pointsProblem })}</p>` : null}
    ${s ? html`<${Status} s=${s} />` : html`<p class="empty">${t('loading')}</p>`}

    <h3>${t('syncConflictsTitle')}</h3>
    <p class="hint">${t('syncConflictsHint')}</p>
    ${conflicts.data?.length === 0 ? html`<p class="empty" data-testid="no-conflicts">${t('syncNoConflicts')}</p>` : null}
    ${
      conflicts.data && conflicts.data.length > 0
        ? html`<div class="table-wrap"><table class="devices sync-table" data-testid="conflicts">
          <thead><tr>
            <th>${t('syncColEntity')}</th><th>${t('syncColFields')}</th><th>${t('syncColAt')}</th>
            <th>${t('syncColBy')}</th><th>${t('syncColDetected')}</th>${isAdmin ? html`<th></th>` : null}
          </tr></thead>
          <tbody>${conflicts.data.map(
            (c) => html`<tr key=${c.edit} data-testid="conflict-row" data-kind=${c.kind} data-id=${c.id}>
              <td>${entity(c)}<div class="sub">${t('syncVersions', { base: c.base, cloud: c.cloudVersion })}</div></td>
              <td data-testid="conflict-fields">${c.fields.join(', ')}</td>
              <td>${time(c.at)}</td>
              <td>${c.by}</td>
              <td>${time(c.detectedAt)}</td>
              ${
                isAdmin
                  ? html`<td><button type="button" class="secondary" data-testid="conflict-dismiss" disabled=${action.busy}
                      onClick=${() => dismiss('conflicts', c.edit)}>${t('syncDismiss')}</button></td>`
                  : null
              }
            </tr>`,
          )}</tbody>
        </table></div>`
        : null
    }

    <h3>${t('syncRejectedTitle')}</h3>
    <p class="hint">${t('syncRejectedHint')}</p>
    ${rejected.data?.length === 0 ? html`<p class="empty">${t('syncNoRejected')}</p>` : null}
    ${
      rejected.data && rejected.data.length > 0
        ? html`<div class="table-wrap"><table class="devices sync-table" data-testid="rejected">
          <thead><tr>
            <th>${t('syncColEntity')}</th><th>${t('syncColReason')}</th><th>${t('syncColAt')}</th>
            <th>${t('syncColBy')}</th>${isAdmin ? html`<th></th>` : null}
          </tr></thead>
          <tbody>${rejected.data.map(
            (r) => html`<tr key=${r.edit} data-testid="rejected-row">
              <td>${entity(r)}</td>
              <td>${r.reason}</td>
              <td>${time(r.at)}</td>
              <td>${r.by}</td>
              ${
                isAdmin
                  ? html`<td><button type="button" class="secondary" disabled=${action.busy}
                      onClick=${() => dismiss('rejected', r.edit)}>${t('syncDismiss')}</button></td>`
                  : null
              }
            </tr>`,
          )}</tbody>
        </table></div>`
        : null
    }
  </section>`;
}
