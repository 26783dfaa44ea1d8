import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n-context';
import { pointsErrorText, useGet, usePoints } from './points-load';
import { MemberDetail } from './points-member-detail';
import type { MemberRow } from './points-types';

/**
 * Party members (staff): this month's points and the balance of each; one in detail with the
 * history, the flags of past quarters and, for an admin, the deduction form.
 */
export function PointsMembers({ openId }: { openId?: string | undefined }) {
  const { t, locale } = useI18n();
  const { onAuthLost } = usePoints();
  const members = useGet<MemberRow[]>('/api/points/members', onAuthLost);
  const [filter, setFilter] = useState('');
  const f = filter.trim().toLowerCase();
  const rows = (members.data ?? [])
    .filter(
      (m) => !f || [m.name, m.id, m.branch ?? '', m.community ?? ''].some((x) => x.toLowerCase().includes(f)),
    )
    .sort((a, b) => a.name.localeCompare(b.name, locale));

  return html`<div class="points-section" data-testid="pts-members">
    <div class="section-head">
      <h3>${t('ptsMembersTitle')}</h3>
      ${members.data ? html`<span class="count">${t('ptsMembersCount', { n: members.data.length })}</span>` : null}
    </div>
    ${members.error ? html`<p class="form-error" role="alert">${pointsErrorText(members.error, t)}</p>` : null}
    <div class="points-columns">
      <div class="points-main">
        <label class="field inline">
          <span>${t('ptsRedeemFind')}</span>
          <input type="search" name="filter" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        ${members.data === null && !members.error ? html`<p class="empty">${t('loading')}</p>` : null}
        ${members.data?.length === 0 ? html`<p class="empty">${t('ptsNoMembers')}</p>` : null}
        ${
          rows.length > 0
            ? html`<div class="table-wrap">
              <table class="devices points-table clickable" data-testid="members-table">
                <thead>
                  <tr>
                    <th>${t('ptsColName')}</th>
                    <th>${t('ptsBy_branch')}</th>
                    <th>${t('ptsBy_community')}</th>
                    <th class="num">${t('greetMonth')}</th>
                    <th class="num">${t('greetBalance')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${rows.map(
                    (m) => html`<tr
                      key=${m.id}
                      class=${m.id === openId ? 'row-selected' : ''}
                      data-testid=${`member-${m.id}`}
                      onClick=${() => {
                        location.hash = `#points/members/${encodeURIComponent(m.id)}`;
                      }}
                    >
                      <td><a href=${`#points/members/${encodeURIComponent(m.id)}`}><strong>${m.name}</strong></a> <code class="sub">${m.id}</code></td>
                      <td>${m.branch ?? '—'}</td>
                      <td>${m.community ?? '—'}</td>
                      <td class="num">${m.pointsThisMonth}</td>
                      <td class="num">${m.balance}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
            : null
        }
      </div>
      <div class="points-side">
        ${
          openId
            ? html`<${MemberDetail} key=${openId} id=${openId} onChanged=${() => void members.reload()} />`
            : html`<p class="sub">${t('ptsMembersPick')}</p>`
        }
      </div>
    </div>
  </div>`;
}
