import type { DutyEntry } from '../../state/edge-state.js';
import type { Alarm } from '../alarm-model.js';

/** What every channel gets: the alarm, the level being alerted, who is on duty at it, and the text. */
export interface AlarmMessage {
  alarm: Alarm;
  level: number;
  recipients: DutyEntry[];
  /** The message in Chinese, as staff read it (local time of the house). */
  text: string;
}

/**
 * A notification channel (kiosk siren, webhook, SMS …). `send` resolves when the channel took
 * the message and rejects with a log-safe error otherwise; the dispatcher retries.
 */
export interface Notifier {
  readonly channel: string;
  send(msg: AlarmMessage): Promise<void>;
}

const KIND_TEXT: Record<Alarm['kind'], string> = {
  sos: '紧急求助（SOS）',
  service: '服务呼叫',
  technical: '设备故障',
};

/** The alarm as staff read it in a message: kind, who/where, device, local time, level. */
export function alarmText(
  a: Alarm & { who?: { name: string; address?: string } },
  level: number,
  tz: string,
): string {
  const time = new Intl.DateTimeFormat('zh-CN', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(new Date(a.raisedAt));
  const lines = [
    `【邻里·一键通】${KIND_TEXT[a.kind]}${level > 0 ? `（已升级至第 ${level} 级）` : ''}`,
    a.who
      ? `对象：${a.who.name}${a.who.address ? `（${a.who.address}）` : ''}`
      : `位置：${a.assignedTo ?? '未指定'}`,
    `设备：${a.deviceId}${a.press.button ? ` 按键 ${a.press.button}` : ''}`,
    ...(a.reason ? [`情况：${a.reason}`] : []),
    `时间：${time}`,
    a.kind === 'technical' ? '请在 2 小时内处理。' : '请立即响应并在后台确认。',
  ];
  return lines.join('\n');
}

/** Duty entries at `level` on duty at `now` in time zone `tz` (`from`/`to` as HH:MM; may span midnight). */
export function onDuty(roster: readonly DutyEntry[], level: number, now: Date, tz: string): DutyEntry[] {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(now);
  const hhmm = parts.replace(/^24/, '00');
  return roster.filter((d) => {
    if (d.level !== level) return false;
    if (!d.from || !d.to) return true;
    return d.from <= d.to ? hhmm >= d.from && hhmm < d.to : hhmm >= d.from || hhmm < d.to;
  });
}
