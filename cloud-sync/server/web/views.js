/**
 * The five city views, each rendering one answer of `/api/v1/city/…` into DOM nodes (dom.js: text
 * only, never markup). Labels are Chinese, code and data keys English.
 */
import { duration, el, empty, num, place, table, time } from './dom.js';

export const STREAM_NAMES = {
  alarm: '告警',
  payment: '支付',
  points: '积分',
  registry: '登记',
  device: '设备',
  service: '服务',
};
const HEALTH = { ok: '正常', behind: '滞后', silent: '失联' };
const ALARM_STATE = { raised: '已触发', notified: '已通知', escalated: '已升级', acknowledged: '已响应' };
const ALARM_KIND = { sos: '紧急求助', service: '服务请求', technical: '设备故障' };

/** @param {Record<string, string>} names @param {string | null | undefined} key */
const label = (names, key) => (key ? (names[key] ?? key) : '—');
/** @param {Record<string, string>} names @param {string | null | undefined} key */
const badge = (names, key) => el('span', { class: `badge ${key ?? ''}` }, label(names, key));
/** @param {string} text */
const small = (text) => el('div', { class: 'small' }, text);
/** @param {Record<string, number | string>} parts */
const summary = (parts) =>
  el(
    'div',
    { class: 'summary', 'data-testid': 'summary' },
    ...Object.entries(parts).map(([k, v]) => el('span', {}, `${k} ${v}`)),
  );

export function housesView(a) {
  const s = a.summary;
  const head = summary({ 房屋: a.total, 正常: s.ok, 滞后: s.behind, 失联: s.silent });
  if (a.houses.length === 0) return [head, empty('没有符合条件的房屋')];
  const rows = a.houses.map((h) => {
    const edge = h.edge;
    const backlog = edge
      ? Object.entries(edge.streams)
          .filter(([, v]) => v.backlog > 0)
          .map(([k, v]) => `${label(STREAM_NAMES, k)} ${num(v.backlog)}`)
          .join('，')
      : '';
    const cloud = Object.entries(h.cloud.streams)
      .map(([k, v]) => `${label(STREAM_NAMES, k)} ${num(v.contiguous)}${v.gaps ? ` (缺 ${v.gaps} 段)` : ''}`)
      .join('，');
    return el(
      'tr',
      { 'data-testid': 'house-row', 'data-house': h.id },
      el('td', {}, badge(HEALTH, h.health.verdict), ...h.health.reasons.map((r) => small(r))),
      el('td', {}, h.place.name, small(place(h.place))),
      el('td', {}, time(h.lastContactAt), small(`注册 ${time(h.registeredAt)}`)),
      el(
        'td',
        { class: 'num', 'data-testid': 'backlog' },
        edge ? num(edge.backlog) : '—',
        edge && edge.oldestUnsyncedAgeMs !== null
          ? small(`最早 ${duration(edge.oldestUnsyncedAgeMs / 1000)}`)
          : null,
        backlog ? small(backlog) : null,
      ),
      el('td', { class: 'num' }, edge ? num(edge.deadLetters) : '—'),
      el(
        'td',
        { class: 'num' },
        edge && edge.clockOffsetMs !== null ? `${num(edge.clockOffsetMs)} ms` : '—',
        edge ? small(`配置 v${edge.configVersion} · ${edge.version}`) : null,
      ),
      el('td', {}, num(h.cloud.records), cloud ? small(cloud) : null),
    );
  });
  return [
    head,
    table(
      [
        { label: '状态' },
        { label: '房屋' },
        { label: '最后联系' },
        { label: '待同步', num: true },
        { label: '死信', num: true },
        { label: '时钟偏差', num: true },
        { label: '云端记录（连续到）' },
      ],
      rows,
    ),
  ];
}

export function devicesView(a) {
  const s = a.summary;
  const head = summary({
    在线: s.online,
    离线: s.offline,
    未知: s.unknown,
    有离线设备的房屋: s.housesWithOffline,
  });
  if (a.houses.length === 0) return [head, empty('没有符合条件的房屋')];
  const rows = a.houses.map((h) =>
    el(
      'tr',
      { 'data-testid': 'device-row', 'data-house': h.id },
      el('td', {}, h.place.name, small(place(h.place))),
      el('td', { class: 'num' }, num(h.online)),
      el('td', { class: 'num' }, num(h.offline)),
      el(
        'td',
        {},
        ...h.offlineDevices.map((d) =>
          el(
            'div',
            { 'data-testid': 'offline-device' },
            `${d.deviceId}：${d.reason ?? '原因不明'}`,
            small(`自 ${time(d.since)}${d.clock === 'unsynced' ? '（边缘时钟未校准）' : ''}`),
          ),
        ),
      ),
    ),
  );
  return [
    head,
    table(
      [{ label: '房屋' }, { label: '在线', num: true }, { label: '离线', num: true }, { label: '离线设备' }],
      rows,
    ),
  ];
}

export function alarmsView(a) {
  const s = a.summary;
  const head = summary({
    未结束告警: a.total,
    已触发: s.raised,
    已通知: s.notified,
    已升级: s.escalated,
    已响应: s.acknowledged,
  });
  if (a.alarms.length === 0) return [head, empty('没有未结束的告警')];
  const rows = a.alarms.map((x) =>
    el(
      'tr',
      { 'data-testid': 'alarm-row', 'data-alarm': x.alarmId },
      el('td', {}, badge(ALARM_KIND, x.kind)),
      el('td', {}, label(ALARM_STATE, x.state), x.level > 0 ? small(`升级 ${x.level} 级`) : null),
      el('td', {}, time(x.raisedAt), small(`已 ${duration(x.ageS)}`)),
      el('td', {}, x.place.name, small(place(x.place))),
      el(
        'td',
        {},
        x.assignedTo ?? '—',
        small(`设备 ${x.deviceId ?? '—'}`),
        x.reason ? small(x.reason) : null,
      ),
    ),
  );
  return [
    head,
    table(
      [
        { label: '类型' },
        { label: '状态' },
        { label: '触发时间' },
        { label: '房屋' },
        { label: '对象 / 设备' },
      ],
      rows,
    ),
  ];
}

export function rankingsView(a) {
  const head = summary({ 月份: a.month, 支部: a.branch ?? '全部', 人数: a.total });
  if (a.rows.length === 0) return [head, empty('本月还没有积分记录')];
  const rows = a.rows.map((r) =>
    el(
      'tr',
      { 'data-testid': 'ranking-row', 'data-resident': r.residentId },
      el('td', { class: 'num' }, num(r.rank)),
      el('td', {}, r.residentId),
      el('td', {}, r.branch ?? '—'),
      el('td', {}, r.place.name, small(place(r.place))),
      el('td', { class: 'num' }, num(r.points)),
    ),
  );
  return [
    head,
    table(
      [
        { label: '名次', num: true },
        { label: '党员编号' },
        { label: '支部' },
        { label: '房屋' },
        { label: '积分', num: true },
      ],
      rows,
    ),
  ];
}

export function dailyView(a) {
  const streams = Object.keys(STREAM_NAMES);
  const days = [...a.days].reverse();
  const total = days.reduce((n, d) => n + d.total.records, 0);
  const head = summary({ 日期: `${a.from} 至 ${a.to}`, 记录: num(total) });
  const rows = days.map((d) =>
    el(
      'tr',
      { 'data-testid': 'day-row', 'data-day': d.day },
      el('td', {}, d.day),
      ...streams.map((s) => el('td', { class: 'num' }, num(d.streams[s]?.records ?? 0))),
      el(
        'td',
        { class: 'num' },
        num(d.total.records),
        d.total.unsynced ? small(`时钟未校准 ${num(d.total.unsynced)}`) : null,
      ),
      el('td', { class: 'num' }, num(d.total.received)),
    ),
  );
  return [
    head,
    table(
      [
        { label: '日期' },
        ...streams.map((s) => ({ label: label(STREAM_NAMES, s), num: true })),
        { label: '合计', num: true },
        { label: '当日收到', num: true },
      ],
      rows,
    ),
  ];
}
