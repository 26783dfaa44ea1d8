import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { KioskAlarmView } from '../alarm-types';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import type { HelpKey, HelpPress } from './use-help-press';

/** How long the confirmation stays up; the banner keeps telling the room after that. */
export const CONFIRM_SHOW_MS = 60_000;

/** Help alarms under way in the house, by id, as the kiosk stream tells them (no who, no where). */
export function useKioskAlarms(): [Map<string, KioskAlarmView>, (a: KioskAlarmView) => void] {
  const [alarms, setAlarms] = useState(new Map<string, KioskAlarmView>());
  const onAlarm = useCallback(
    (a: KioskAlarmView) =>
      setAlarms((m) => {
        // A device fault is staff business, not the room's; a resolved alarm leaves the screen.
        if (a.kind === 'technical' || (a.state === 'resolved' && !m.has(a.id))) return m;
        const next = new Map(m);
        if (a.state === 'resolved') next.delete(a.id);
        else next.set(a.id, a);
        return next;
      }),
    [],
  );
  return [alarms, onAlarm];
}

function Alt({ k }: { k: MessageKey }) {
  const { t, lang } = useI18n();
  return html`<span class="alt" lang=${lang === 'zh' ? 'en' : 'zh-CN'}>${t(k)}</span>`;
}

/** The two help keys of the one-touch programmes: red for an emergency, green for a service. */
export function HelpButtons({
  onHelp,
  calling,
}: {
  onHelp: (key: HelpKey) => void;
  calling: HelpKey | null;
}) {
  const { t } = useI18n();
  const button = (key: HelpKey, main: MessageKey, alt: MessageKey, icon: string) =>
    html`<button
      type="button"
      class=${`help-button help-${key}${calling === key ? ' calling' : ''}`}
      data-testid=${`help-${key}`}
      onClick=${() => onHelp(key)}
    >
      <span class="help-icon" aria-hidden="true">${icon}</span>
      <span class="help-text">
        <strong>${t(main)}</strong>
        <${Alt} k=${alt} />
      </span>
    </button>`;
  return html`<div class="help-buttons">
    ${button('sos', 'helpSos', 'helpSosAlt', 'SOS')}
    ${button('service', 'helpService', 'helpServiceAlt', '☎')}
  </div>`;
}

/** Over the screen from the tap on: "calling…" while the press is being sent, then the confirmation. */
export function HelpStatus({
  press,
  alarms,
  onClose,
}: {
  press: HelpPress;
  alarms: Map<string, KioskAlarmView>;
  onClose: () => void;
}) {
  const { t } = useI18n();
  const sentAt = press.sentAt;
  useEffect(() => {
    if (sentAt === undefined) return;
    const timer = setTimeout(onClose, Math.max(0, sentAt + CONFIRM_SHOW_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [sentAt, onClose]);

  if (press.state === 'calling')
    return html`<div class=${`help-status help-status-${press.key}`} data-testid="help-calling" data-failures=${press.failures} role="status" aria-live="assertive">
      <div class="help-card">
        <div class="spinner" aria-hidden="true"></div>
        <h2>${t('helpCalling')}</h2>
        <${Alt} k="helpCallingAlt" />
        ${press.failures > 0 ? html`<p class="help-retry">${t('helpRetrying', { n: press.failures + 1 })}</p>` : null}
        ${press.failures > 1 ? html`<p class="help-120">${t('helpCall120')}</p>` : null}
      </div>
    </div>`;

  const acked = press.alarmId !== undefined && alarms.get(press.alarmId)?.state === 'acknowledged';
  return html`<div class="help-status sent" data-testid="help-confirm" data-alarm-id=${press.alarmId} role="status" aria-live="assertive">
    <div class="help-card">
      <svg class="help-check" viewBox="0 0 48 48" aria-hidden="true">
        <circle cx="24" cy="24" r="22" />
        <path d="M13 25 l7 7 l15 -16" />
      </svg>
      <h2>${acked ? t('helpComing') : t('helpConfirm')}</h2>
      <${Alt} k=${acked ? 'helpComingAlt' : 'helpConfirmAlt'} />
      <button type="button" class="big-button" data-testid="help-close" onClick=${onClose}>${t('helpOk')}</button>
    </div>
  </div>`;
}

/**
 * Full width over the screen while a help alarm is under way in the house: flashing until staff
 * acknowledge it, steady after that, gone once resolved. Says nothing of who or where.
 */
export function AlarmBanner({ alarms }: { alarms: Map<string, KioskAlarmView> }) {
  const { t } = useI18n();
  const open = [...alarms.values()];
  if (open.length === 0) return null;
  const waiting = open.filter((a) => a.state !== 'acknowledged');
  const top = waiting.find((a) => a.kind === 'sos') ?? waiting[0];
  const [main, alt]: [MessageKey, MessageKey] = !top
    ? ['bannerAcked', 'bannerAckedAlt']
    : top.kind === 'sos'
      ? ['bannerSos', 'bannerSosAlt']
      : ['bannerService', 'bannerServiceAlt'];
  return html`<div
    class=${`alarm-banner ${top ? `flash kind-${top.kind}` : 'acked'}`}
    data-testid="alarm-banner"
    data-state=${top ? 'active' : 'acknowledged'}
    data-kind=${top?.kind ?? 'acknowledged'}
    data-count=${open.length}
    role="alert"
  >
    <span class="banner-icon" aria-hidden="true">${top ? '⚠' : '✓'}</span>
    <strong>${t(main)}</strong>
    <${Alt} k=${alt} />
  </div>`;
}
