/**
 * The cloud's public badge page, as HTML (Chinese, large type, for any phone): the badge's code and
 * whom to call; the elder's name, address, emergency contacts and health notes only in the staff
 * section. Everything from data is escaped; the one inline style is allowed by its hash in the
 * content-security policy, and nothing else runs or loads.
 */
import { createHash } from 'node:crypto';
import type { ContactsData, ResidentData } from '../protocol/config.js';

const STYLE =
  'body{font-family:system-ui,"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6fa;color:#111;font-size:20px;line-height:1.5}' +
  'main{max-width:36rem;margin:0 auto;padding:1.2rem}h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.4rem}h3{font-size:1.1rem;margin:.8rem 0 .2rem}' +
  'section{background:#fff;border-radius:12px;padding:1rem 1.2rem;margin:1rem 0;box-shadow:0 1px 3px #0002;overflow-wrap:anywhere}' +
  'a.tel{display:block;font-size:1.6rem;font-weight:700;color:#0b57d0;text-decoration:none;margin:.4rem 0;padding:.3rem 0}' +
  '.code{font-family:monospace;font-size:1.4rem;letter-spacing:.05em}.muted{color:#555;font-size:1rem}';

/** The content-security policy of every public page. */
export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** A phone number for a `tel:` link: only what a dialler takes. */
const dial = (phone: string) => phone.replace(/[^0-9+]/g, '');

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function notFoundPage(): string {
  return page(
    '无效的二维码',
    '<h1>此二维码已失效</h1><section><p>此爱心二维码无效或已被注销。</p><p class="muted">This badge is not valid (revoked or unknown).</p><a class="tel" href="tel:110">报警 110</a><a class="tel" href="tel:120">急救 120</a></section>',
  );
}

const tel = (label: string, c?: { name: string; phone: string }) =>
  c
    ? `<p>${esc(label)}：${esc(c.name)}<a class="tel" href="tel:${esc(dial(c.phone))}">${esc(c.phone)}</a></p>`
    : '';

/** The page for an active badge; `resident` (with its sensitive fields) only for staff. */
export function badgePage(code: string, contacts: ContactsData | undefined, resident?: ResidentData): string {
  let body = `<h1>爱心二维码 · 邻里</h1><section><p>编号 ID：<span class="code">${esc(code)}</span></p><p class="muted">如遇老人需要帮助，请拨打以下电话。If this person needs help, please call:</p>${tel('社区', contacts?.community)}${tel('派出所', contacts?.police)}<a class="tel" href="tel:120">急救 120</a></section>`;
  body += resident ? staffSection(resident) : '<p class="muted">工作人员登录后可查看老人信息与健康档案。</p>';
  return page('爱心二维码', body);
}

function staffSection(r: ResidentData): string {
  const address =
    r.address ||
    [r.community, r.building && `${r.building}栋`, r.unit && `${r.unit}单元`, r.room]
      .filter(Boolean)
      .join('');
  const contacts = r.emergencyContacts
    .map(
      (c) =>
        `<a class="tel" href="tel:${esc(dial(c.phone))}">${esc(c.name)}${c.relation ? `（${esc(c.relation)}）` : ''} ${esc(c.phone)}</a>`,
    )
    .join('');
  return `<section><h2>${esc(r.name)}</h2>${address ? `<p>${esc(address)}</p>` : ''}${r.phone ? `<a class="tel" href="tel:${esc(dial(r.phone))}">本人 ${esc(r.phone)}</a>` : ''}${contacts ? `<h3>紧急联系人</h3>${contacts}` : ''}${r.healthNotes ? `<h3>健康档案</h3><p>${esc(r.healthNotes)}</p>` : ''}</section>`;
}
