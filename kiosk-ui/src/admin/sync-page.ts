import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { DeadLetterView, MeResponse, SyncView } from '../../../edge/api/types';
import { api } from '../api';
import type { MessageKey, Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { errorText } from './error-text';
import { can, toHttpError, useGet } from './points-load';

const STREAMS = ['alarm', 'payment', 'points', 'registry', 'device', 'service'] as const;
/** The page refreshes itself this often. */
const REFRESH_MS = 3000;

function age(ms: number | null, t: Translate): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 120) return t('recordsAgeS', { n: s });
  if (s < 7200) return t('recordsAgeM', { n: Math.round(s / 60) });
  if (s < 172_800) return t('recordsAgeH', { n: Math.round(s / 3600) });
  return t('recordsAgeD', { n: Math.round(s / 86_400) });
}

function streamLabel(stream: string, t: Translate): string {
  return (STREAMS as readonly string[]).includes(stream)
    ? t(`recordsStream_${stream}` as MessageKey)
    : stream;
}

function reasonLabel(d: DeadLetterView, t: Translate): string {
  const key = `recordsReason_${d.reason.replace(/-/g, '_')}`;
  const known = t(key as MessageKey);
  return known === undefined ? d.reason : known;
}

/**
 * The house's sync with the city's cloud (`GET /api/sync`): is it connected, is the clock
 * trusted, how much waits per stream and since when, the records the cloud refused (staff may
 * send them again), and what retention did with the journal.
 */
export function SyncPage({ me, onAuthLost }: { me: MeResponse; onAuthLost: () => void }) {
  const { t, locale } = useI18n();
  const { data: v, error, reload } = useGet<SyncView>('/api/sync', onAuthLost);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const staff = can(me.role, 'staff');

  useEffect(() => {
    const timer = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    try {
      setNote(await fn());
    } catch (err) {
      const e = toHttpError(err);
      if (e.status === 401) onAuthLost();
      else setNote(errorText(e, t));
    } finally {
      setBusy(false);
      void reload();
    }
  };
  const retry = (ids?: string[]) =>
    act(async () => {
      const r = await api<{ accepted: number; remaining: number }>(
        'POST',
        '/api/sync/dead-letters/retry',
        ids ? { ids } : {},
      );
      return t('recordsRetried', { accepted: r.accepted, remaining: r.remaining });
    });
  const recordsNow = () =>
    act(async () => {
      await api('POST', '/api/sync/now');
      return t('recordsAsked');
    });

  if (!v) {
    return html`<section class="panel sync-panel">
      <h2>${t('recordsTitle')}</h2>
      ${error ? html`<p class="form-error" role="alert">${errorText(error, t)}</p>` : html`<p class="empty">${t('loading')}</p>`}
    </section>`;
  }
  const when = (iso: string) => formatDateTime(iso, locale);
  const failing = v.consecutiveFailures > 0;
  return html`<section class="panel sync-panel" data-testid="records-page">
    <div class="panel-head">
      <h2>${t('recordsTitle')}</h2>
      ${
        v.enabled && staff
          ? html`<button type="button" disabled=${busy} data-testid="records-now" onClick=${() => void recordsNow()}>${t('recordsNow')}</button>`
          : null
      }
    </div>
    ${note ? html`<p class="note" role="status" data-testid="records-note">${note}</p>` : null}
    ${
      v.enabled
        ? html`<ul class="sync-facts">
          <li data-testid="records-target">${t('recordsTo', { url: v.cloudUrl ?? '' })}</li>
          <li class=${v.clock.state === 'synced' ? 'ok' : 'warn'} data-testid="records-clock" data-state=${v.clock.state}>
            ${v.clock.state === 'synced' ? t('recordsClockSynced', { ms: v.clock.offsetMs }) : t('recordsClockUnsynced')}
          </li>
          <li data-testid="records-last-success">${v.lastSuccessAt ? t('recordsLastSuccess', { at: when(v.lastSuccessAt) }) : t('recordsNever')}</li>
          ${
            v.lastError
              ? html`<li class=${failing ? 'warn' : ''} data-testid="records-last-error">
                ${t('recordsLastError', { at: when(v.lastError.at), msg: v.lastError.message })}
              </li>`
              : null
          }
          ${failing ? html`<li class="warn">${t('recordsFailures', { n: v.consecutiveFailures })}</li>` : null}
        </ul>`
        : html`<p class="warn" data-testid="records-alone">${t('recordsAlone')}</p>`
    }
    <p class=${v.backlog > 0 ? 'sync-backlog' : 'sync-backlog ok'} data-testid="records-backlog" data-backlog=${v.backlog}>
      ${v.backlog > 0 ? t('recordsBacklogAll', { n: v.backlog }) : t('recordsAllDone')}
    </p>
    <div class="table-wrap">
      <table class="devices sync-streams">
        <thead><tr>
          <th>${t('recordsColStream')}</th><th class="num">${t('recordsColLast')}</th><th class="num">${t('recordsColCursor')}</th>
          <th class="num">${t('recordsColBacklog')}</th><th>${t('recordsColOldest')}</th>
        </tr></thead>
        <tbody>
          ${Object.entries(v.streams).map(
            ([stream, s]) => html`<tr data-testid=${`records-stream-${stream}`} data-backlog=${s.backlog}>
              <td>${streamLabel(stream, t)}</td>
              <td class="num">${s.lastSeq}</td>
              <td class="num">${s.cursor}</td>
              <td class=${s.backlog > 0 ? 'num warn' : 'num'}>${s.backlog}</td>
              <td>${age(s.oldestUnsyncedAgeMs, t)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <${DeadLetters} letters=${v.deadLetters} canRetry=${staff && v.enabled} busy=${busy} retry=${retry} when=${when} />
    <p class="sync-journal">
      ${t('recordsJournal', {
        segments: v.journal.segments,
        mb: (v.journal.bytes / 1048576).toFixed(1),
        days: v.retention.days,
      })}
      ${v.retention.lastRun ? html`<br />${t('recordsRetentionRun', { at: when(v.retention.lastRun.at), deleted: v.retention.lastRun.deleted })}` : null}
      ${v.retention.droppedPending > 0 ? html`<br /><span class="warn">${t('recordsDropped', { n: v.retention.droppedPending })}</span>` : null}
    </p>
  </section>`;
}

function DeadLetters({
  letters,
  canRetry,
  busy,
  retry,
  when,
}: {
  letters: DeadLetterView[];
  canRetry: boolean;
  busy: boolean;
  retry: (ids?: string[]) => Promise<void>;
  when: (iso: string) => string;
}) {
  const { t } = useI18n();
  return html`<div class="sync-dead" data-testid="records-dead">
    <div class="panel-head">
      <h3>${t('recordsDeadTitle')}</h3>
      ${
        letters.length > 0 && canRetry
          ? html`<button type="button" class="secondary" disabled=${busy} data-testid="records-retry-all" onClick=${() => void retry()}>${t('recordsRetryAll')}</button>`
          : null
      }
    </div>
    ${
      letters.length === 0
        ? html`<p class="empty">${t('recordsDeadNone')}</p>`
        : html`<p class="hint">${t('recordsDeadHint')}</p>
          <div class="table-wrap">
            <table class="devices">
              <thead><tr>
                <th>${t('recordsColStream')}</th><th class="num">${t('recordsColSeq')}</th><th>${t('recordsColReason')}</th>
                <th>${t('recordsColSeen')}</th><th class="num">${t('recordsColAttempts')}</th>${canRetry ? html`<th></th>` : null}
              </tr></thead>
              <tbody>
                ${letters.map(
                  (d) => html`<tr data-testid="records-dead-row" data-id=${d.id}>
                    <td>${streamLabel(d.stream, t)}</td>
                    <td class="num">${d.seq}</td>
                    <td title=${d.message}>${reasonLabel(d, t)}</td>
                    <td>${when(d.firstSeen)}<br />${when(d.lastSeen)}</td>
                    <td class="num">${d.attempts}</td>
                    ${
                      canRetry
                        ? html`<td><button type="button" class="secondary" disabled=${busy} onClick=${() => void retry([d.id])}>${t('recordsRetry')}</button></td>`
                        : null
                    }
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </div>`;
}
