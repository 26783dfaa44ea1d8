import { html } from 'htm/preact';
import type { Alarm, AlarmKind } from '../alarm-types';
import { useI18n } from '../i18n-context';
import { formatDateTime, formatDuration, formatTimeOfDay } from '../time';
import { useNow } from '../use-now';
import { AlarmCard, Timeline } from './alarm-card';
import { type AlarmSound, useAlarmSound } from './alarm-sound';
import { errorText } from './error-text';
import { useAlarms } from './use-alarms';

const KIND_ORDER: Record<AlarmKind, number> = { sos: 0, service: 1, technical: 2 };

/** Most urgent first: not yet acknowledged, then SOS before service before technical, then the longest waiting. */
function byUrgency(a: Alarm, b: Alarm): number {
  const acked = Number(a.state === 'acknowledged') - Number(b.state === 'acknowledged');
  if (acked !== 0) return acked;
  const kind = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (kind !== 0) return kind;
  return Date.parse(a.raisedAt) - Date.parse(b.raisedAt);
}

function SoundControls({ sound }: { sound: AlarmSound }) {
  const { t, lang } = useI18n();
  const label =
    sound.state === 'unsupported'
      ? t('soundNone')
      : sound.muted
        ? t('soundMuted')
        : sound.playing && sound.state === 'ready'
          ? t('soundPlaying')
          : t('soundOn');
  return html`<div
    class="sound"
    data-testid="alarm-sound"
    data-sound=${sound.state}
    data-playing=${sound.playing && sound.state === 'ready' ? 'true' : 'false'}
    data-muted=${sound.muted ? 'true' : 'false'}
  >
    ${
      sound.state === 'locked' && !sound.muted
        ? html`<button type="button" class="sound-enable" data-testid="sound-enable" onClick=${sound.enable}>
            <svg class="speaker" viewBox="0 0 24 24" aria-hidden="true">
              <path d="M3 9v6h4l5 4V5L7 9H3z" />
              <path d="M15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12" fill="none" />
            </svg>
            ${t('soundEnable')}
            <small lang=${lang === 'zh' ? 'en' : 'zh-CN'}>${t('soundEnableAlt')}</small>
          </button>`
        : html`<span class=${sound.playing && !sound.muted ? 'sound-label ringing' : 'sound-label'}>${label}</span>`
    }
    ${
      sound.state === 'unsupported'
        ? null
        : html`<button type="button" class="secondary" data-testid="sound-mute" aria-pressed=${sound.muted} onClick=${sound.toggleMute}>
            ${sound.muted ? t('soundUnmute') : t('soundMute')}
          </button>`
    }
  </div>`;
}

function ResolvedList({ alarms }: { alarms: Alarm[] }) {
  const { t, locale } = useI18n();
  if (alarms.length === 0) return html`<p class="empty">${t('alarmsRecentNone')}</p>`;
  return html`<ol class="resolved-list">
    ${alarms.map((a) => {
      const took = a.resolvedAt ? formatDuration(Date.parse(a.resolvedAt) - Date.parse(a.raisedAt)) : '';
      return html`<li key=${a.id} class=${`resolved kind-${a.kind}`} data-testid=${`alarm-${a.id}`} data-state=${a.state} data-kind=${a.kind}>
        <div class="resolved-row">
          <time datetime=${a.raisedAt} title=${formatDateTime(a.raisedAt, locale)}>${formatDateTime(a.raisedAt, locale)}</time>
          <span class="alarm-kind">${t(`kind_${a.kind}`)}</span>
          <span>${a.who?.name ?? a.assignedTo ?? t('alarmNobody')} · <code>${a.deviceId}</code></span>
          <strong class="resolved-outcome" data-testid=${`alarm-outcome-text-${a.id}`}>${a.outcome ? t(`outcome_${a.outcome}`) : ''}</strong>
          <span class="muted">
            ${a.resolvedBy && a.resolvedAt ? t('alarmResolvedBy', { by: a.resolvedBy, time: formatTimeOfDay(a.resolvedAt, locale) }) : ''}
            ${took ? ` · ${t('alarmTook', { d: took })}` : ''}
          </span>
          ${a.note ? html`<span class="resolved-note" data-testid=${`alarm-note-text-${a.id}`}>${a.note}</span>` : null}
        </div>
        <${Timeline} alarm=${a} />
      </li>`;
    })}
  </ol>`;
}

/**
 * The alarm console, at the top of the dashboard: open alarms big and coloured by kind (red SOS,
 * amber service, grey technical), a ringing tone while any is unacknowledged, recent resolved below.
 */
export function AlarmConsole({ onAuthLost }: { onAuthLost: () => void }) {
  const { t } = useI18n();
  const { alarms, loadError, live, upsert } = useAlarms(onAuthLost);
  const now = useNow(1000);
  const all = alarms ? [...alarms.values()] : [];
  const open = all.filter((a) => a.state !== 'resolved').sort(byUrgency);
  const resolved = all
    .filter((a) => a.state === 'resolved')
    .sort((x, y) => Date.parse(y.resolvedAt ?? y.raisedAt) - Date.parse(x.resolvedAt ?? x.raisedAt));
  const alerting = open.filter((a) => a.state !== 'acknowledged').map((a) => a.id);
  const sound = useAlarmSound(alerting);
  const urgent = open.find((a) => a.state !== 'acknowledged');

  return html`<section
    class=${`panel alarm-console ${urgent ? `alerting alert-${urgent.kind}` : open.length ? 'has-open' : 'calm'}`}
    data-testid="alarm-console"
    data-open=${open.length}
  >
    <div class="panel-head">
      <h2>${t('alarmsTitle')}</h2>
      <span class="count" aria-live="assertive">${open.length ? t('alarmsOpenCount', { n: open.length }) : t('alarmsNone')}</span>
      <span class=${`conn ${live === 'open' ? 'open' : 'connecting'}`} data-state=${live}>
        <span class="conn-dot" aria-hidden="true"></span>${live === 'open' ? t('liveOpen') : t('liveConnecting')}
      </span>
      <${SoundControls} sound=${sound} />
    </div>
    ${loadError ? html`<p class="form-error" role="alert">${errorText(loadError, t)}</p>` : null}
    ${alarms === null && !loadError ? html`<p class="empty">${t('loading')}</p>` : null}
    ${open.length > 0 ? html`<div class="alarm-cards">${open.map((a) => html`<${AlarmCard} key=${a.id} alarm=${a} now=${now} onChange=${upsert} />`)}</div>` : null}
    <div class="resolved-section">
      <h3>${t('alarmsRecent')}</h3>
      <${ResolvedList} alarms=${resolved} />
    </div>
  </section>`;
}
