import { Type } from 'typebox';
import { roleAtLeast } from '../../auth/user-service.js';
import type { ResidentRow } from '../../state/edge-state.js';
import type { AppDeps } from '../app-deps.js';
import { requestToken, SESSION_COOKIE } from '../auth-guard.js';
import type { TypedApp } from '../typed-app.js';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>body{font-family:system-ui,"WenQuanYi Micro Hei",sans-serif;margin:0;background:#f4f6fa;color:#111;font-size:20px}main{max-width:36rem;margin:0 auto;padding:1.2rem}h1{font-size:1.5rem}section{background:#fff;border-radius:12px;padding:1rem 1.2rem;margin:1rem 0;box-shadow:0 1px 3px #0002}a.tel{display:block;font-size:1.6rem;font-weight:700;color:#0b57d0;text-decoration:none;margin:.3rem 0}.code{font-family:monospace;font-size:1.3rem}.muted{color:#555;font-size:1rem}</style></head><body><main>${body}</main></body></html>`;
}

/**
 * Public pages, reachable from any phone that scans a printed QR code. The badge page shows the
 * badge's code and the community's and the police station's numbers; who the elder is, their
 * contacts and health notes only to a logged-in staff member. A revoked badge shows nothing.
 */
export async function publicRoutes(app: TypedApp, deps: AppDeps): Promise<void> {
  app.get(
    '/p/badge/:token',
    {
      schema: { tags: ['public'], params: Type.Object({ token: Type.String({ maxLength: 100 }) }) },
      config: { rateLimit: { max: 60, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer');
      const r = deps.residents.byBadge(req.params.token);
      if (!r?.badge) {
        return reply
          .status(404)
          .send(
            page(
              '无效的二维码',
              '<h1>此二维码已失效</h1><p>This badge is not valid (revoked or unknown).</p>',
            ),
          );
      }
      const token = requestToken(req, SESSION_COOKIE);
      const session = token ? deps.users.session(token) : undefined;
      const staff = session && roleAtLeast(session.role, 'staff');
      const { community, police } = deps.state.data.contacts;
      const tel = (label: string, c?: { name: string; phone: string }) =>
        c
          ? `<p>${esc(label)}：${esc(c.name)}<a class="tel" href="tel:${esc(c.phone)}">${esc(c.phone)}</a></p>`
          : '';
      let body = `<h1>爱心二维码 · 邻里</h1><section><p>编号 ID：<span class="code">${esc(r.badge.code)}</span></p><p class="muted">如遇老人需要帮助，请拨打以下电话。If this person needs help, please call:</p>${tel('社区', community)}${tel('派出所', police)}<a class="tel" href="tel:120">急救 120</a></section>`;
      if (staff) body += staffSection(r, deps);
      else body += '<p class="muted">工作人员登录后可查看老人信息与健康档案。</p>';
      req.log.info({ residentId: r.id, staff: Boolean(staff) }, 'badge page viewed');
      return reply.send(page('爱心二维码', body));
    },
  );
}

function staffSection(r: ResidentRow, deps: AppDeps): string {
  const v = deps.residents.get(r.id, true);
  const contacts = v.emergencyContacts
    .map(
      (c) =>
        `<a class="tel" href="tel:${esc(c.phone)}">${esc(c.name)}${c.relation ? `（${esc(c.relation)}）` : ''} ${esc(c.phone)}</a>`,
    )
    .join('');
  return `<section><h2>${esc(v.name)}</h2>${v.address ? `<p>${esc(v.address)}</p>` : ''}${contacts ? `<h3>紧急联系人</h3>${contacts}` : ''}${v.healthNotes ? `<h3>健康档案</h3><p>${esc(v.healthNotes)}</p>` : ''}</section>`;
}
