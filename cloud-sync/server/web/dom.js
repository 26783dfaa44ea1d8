/**
 * DOM helpers of the city page. Every text goes in through `textContent` (never `innerHTML`), so
 * whatever a house, a device or a record carries is shown as text, never run as markup.
 */

/**
 * An element with attributes and children (strings become text nodes).
 * @param {string} tag
 * @param {Record<string, string | boolean | undefined>} [attrs]
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return e;
}

/**
 * A table with a header row and body rows.
 * @param {{label: string, num?: boolean}[]} columns
 * @param {HTMLElement[]} rows
 */
export function table(columns, rows) {
  return el(
    'table',
    {},
    el(
      'thead',
      {},
      el('tr', {}, ...columns.map((c) => el('th', { class: c.num ? 'num' : undefined }, c.label))),
    ),
    el('tbody', {}, ...rows),
  );
}

/** @param {string} text */
export const empty = (text) => el('p', { class: 'empty' }, text);

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/**
 * An ISO time as people in the city read it (Beijing time), or a dash.
 * @param {string | null | undefined} iso
 */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : TIME.format(d);
}

/**
 * A duration in seconds as 秒 / 分钟 / 小时 / 天.
 * @param {number | null | undefined} s
 */
export function duration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const v = Math.max(0, Math.round(s));
  if (v < 60) return `${v} 秒`;
  if (v < 3600) return `${Math.floor(v / 60)} 分钟`;
  if (v < 86400) return `${Math.floor(v / 3600)} 小时 ${Math.floor((v % 3600) / 60)} 分`;
  return `${Math.floor(v / 86400)} 天 ${Math.floor((v % 86400) / 3600)} 小时`;
}

/** @param {number | null | undefined} n */
export const num = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('zh-CN'));

/**
 * A place as one line: district · street · community · house.
 * @param {{city: string, district: string, street: string, community: string, name: string}} p
 */
export const place = (p) => `${p.district} · ${p.street} · ${p.community} · ${p.name}`;
