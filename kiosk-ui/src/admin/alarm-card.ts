import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { type Alarm, type AlarmOutcome, type AlarmStep, OUTCOMES } from '../alarm-types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { formatDateTime, formatDuration, formatTimeOfDay } from '../time';
import { errorText } from './error-text';

function Step({ step }: { step: AlarmStep }) {
  const { t, locale } = useI18n();
  const detail =
    step.action === 'resolved' && step.detail ? t(`outcome_${step.detail as AlarmOutcome}`) : step.detail;
  return html`<li class=${`step step-${step.action}`}>
    <time datetime=${step.at} title=${formatDateTime(step.at, locale)}>${formatTimeOfDay(step.at, locale)}</time>
    <span class="step-action">${t(`step_${step.action}`)}</span>
    ${step.level !== undefined ? html`<span class="step-level">${t('stepLevel', { n: step.level })}</span>` : null}
    ${step.by ? html`<span class="step-by">${step.by}</span>` : null}
    ${detail ? html`<span class="step-detail">${detail}</span>` : null}
  </li>`;
}

/** The alarm's log to the second: raised, notified, escalated, acknowledged, resolved. */
export function Timeline({ alarm }: { alarm: Alarm }) {
  const { t } = useI18n();
  return html`<details class="timeline" open=${alarm.state !== 'resolved'}>
    <summary>${t('timeline')} (${alarm.history.length})</summary>
    <ol data-testid=${`alarm-timeline-${alarm.id}`}>
      ${alarm.history.map((s, i) => html`<${Step} key=${i} step=${s} />`)}
    </ol>
  </details>`;
}

/** Acknowledge and resolve; each answer is the alarm's new state. */
function Actions({ alarm, onChange }: { alarm: Alarm; onChange: (a: Alarm) => void }) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState<AlarmOutcome>('helped');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<'ack' | 'resolve' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const acked = alarm.state === 'acknowledged';

  const run = async (what: 'ack' | 'resolve') => {
    setBusy(what);
    setError(null);
    try {
      const path = `/api/alarms/${encodeURIComponent(alarm.id)}/${what}`;
      const body =
        what === 'resolve' ? { outcome, ...(note.trim() ? { note: note.trim() } : {}) } : undefined;
      onChange(await api<Alarm>('POST', path, body));
    } catch (err) {
      if (!(err instanceof HttpError)) setError(String(err));
      else if (err.body.code === 'ALARM_RESOLVED') setError(t('alarmAlreadyResolved'));
      else setError(errorText(err, t));
    } finally {
      setBusy(null);
    }
  };

  const submit = (e: Event) => {
    e.preventDefault();
    void run('resolve');
  };

  return html`<form class="alarm-actions" onSubmit=${submit}>
    ${
      acked
        ? null
        : html`<button
            type="button"
            class="ack-button"
            data-testid=${`alarm-ack-${alarm.id}`}
            disabled=${busy !== null}
            onClick=${() => void run('ack')}
          >
            ${busy === 'ack' ? t('acking') : t('ack')}
          </button>`
    }
    <label class="field">
      <span>${t('outcome')}</span>
      <select
        data-testid=${`alarm-outcome-${alarm.id}`}
        value=${outcome}
        onChange=${(e: Event) => setOutcome((e.currentTarget as HTMLSelectElement).value as AlarmOutcome)}
      >
        ${OUTCOMES.map((o) => html`<option key=${o} value=${o}>${t(`outcome_${o}`)}</option>`)}
      </select>
    </label>
    <label class="field note-field">
      <span>${t('note')}</span>
      <input
        data-testid=${`alarm-note-${alarm.id}`}
        maxlength="2000"
        value=${note}
        onInput=${(e: Event) => setNote((e.currentTarget as HTMLInputElement).value)}
      />
    </label>
    <button type="submit" class="resolve-button" data-testid=${`alarm-resolve-${alarm.id}`} disabled=${busy !== null}>
      ${busy === 'resolve' ? t('resolving') : t('resolve')}
    </button>
    ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
  </form>`;
}

/** One open alarm, big: kind by colour and in words, who/where, since when, state, actions. */
export function AlarmCard({
  alarm,
  now,
  onChange,
}: {
  alarm: Alarm;
  now: number;
  onChange: (a: Alarm) => void;
}) {
  const { t, locale } = useI18n();
  const waiting = formatDuration(now - Date.parse(alarm.raisedAt));
  return html`<article
    class=${`alarm-card kind-${alarm.kind} state-${alarm.state}`}
    data-testid=${`alarm-${alarm.id}`}
    data-state=${alarm.state}
    data-kind=${alarm.kind}
  >
    <header class="alarm-head">
      <span class="alarm-kind">${t(`kind_${alarm.kind}`)}</span>
      <span class="alarm-state" data-testid=${`alarm-state-${alarm.id}`}>${t(`state_${alarm.state}`)}</span>
      ${alarm.level > 0 ? html`<span class="alarm-level">${t('alarmLevel', { n: alarm.level })}</span>` : null}
      <span class="alarm-waiting" title=${t('alarmWaiting')}>
        ${t('alarmWaiting')} <strong class="tick" data-testid=${`alarm-elapsed-${alarm.id}`}>${waiting}</strong>
      </span>
    </header>
    <div class="alarm-body">
      <dl class="alarm-facts">
        <div class="who">
          <dt>${t('alarmWho')}</dt>
          <dd>
            ${
              alarm.who
                ? html`<strong>${alarm.who.name}</strong>${alarm.who.address ? ` · ${alarm.who.address}` : ''}`
                : (alarm.assignedTo ?? html`<span class="muted">${t('alarmNobody')}</span>`)
            }
          </dd>
        </div>
        <div>
          <dt>${t('alarmDevice')}</dt>
          <dd>
            <code>${alarm.deviceId}</code>
            ${alarm.press.button ? html` · ${t('alarmButton', { b: alarm.press.button })}` : null}
          </dd>
        </div>
        <div>
          <dt>${t('alarmRaisedAt')}</dt>
          <dd><time datetime=${alarm.raisedAt}>${formatDateTime(alarm.raisedAt, locale)}</time></dd>
        </div>
      </dl>
      ${alarm.reason ? html`<p class="alarm-reason">${alarm.reason}</p>` : null}
      <p class="alarm-sub">
        ${
          alarm.acknowledgedAt && alarm.acknowledgedBy
            ? t('alarmAckedBy', {
                by: alarm.acknowledgedBy,
                time: formatTimeOfDay(alarm.acknowledgedAt, locale),
              })
            : null
        }
        ${alarm.repeats > 0 ? html` <span>${t('alarmRepeats', { n: alarm.repeats })}</span>` : null}
      </p>
      <${Actions} alarm=${alarm} onChange=${onChange} />
    </div>
    <${Timeline} alarm=${alarm} />
  </article>`;
}
