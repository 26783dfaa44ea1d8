import { html } from 'htm/preact';
import { useI18n } from '../i18n-context';
import { FlagBadge, quarterText } from '../points-flag';
import { formatDateTime } from '../time';
import { DeductionForm } from './points-deduction-form';
import { can, pointsErrorText, useGet, usePoints } from './points-load';
import type { MemberDetailView } from './points-types';

/** One member: the month, rank, balance, the flags of every assessed quarter, and the latest lines. */
export function MemberDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t, lang, locale } = useI18n();
  const { role, scheme, onAuthLost } = usePoints();
  const m = useGet<MemberDetailView>(`/api/points/members/${encodeURIComponent(id)}`, onAuthLost);
  if (m.error) return html`<p class="form-error" role="alert">${pointsErrorText(m.error, t)}</p>`;
  if (!m.data) return html`<p class="empty">${t('loading')}</p>`;
  const d = m.data;
  const nameOf = (itemId: string) =>
    scheme.items.find((i) => i.id === itemId)?.name ??
    scheme.goods.find((g) => g.id === itemId)?.name ??
    itemId;
  const changed = () => {
    void m.reload();
    onChanged();
  };

  return html`<div class="member-detail" data-testid="member-detail" data-resident=${d.residentId}>
    <div class="section-head">
      <h4>${d.name} <code class="sub">${d.residentId}</code></h4>
      <a href="#points/members" class="button-link secondary">${t('ptsClose')}</a>
    </div>
    <dl class="facts">
      <dt>${t('greetMonth')}</dt>
      <dd data-testid="member-month">${d.pointsThisMonth}</dd>
      <dt>${t('greetRankLabel')}</dt>
      <dd>${d.rank ? t('ptsRankOf', { rank: d.rank, of: d.of ?? d.rank }) : '—'}</dd>
      <dt>${t('greetBalance')}</dt>
      <dd data-testid="member-balance">${d.balance}</dd>
    </dl>
    <h4>${t('ptsFlagHistory')}</h4>
    ${
      d.flags.length === 0
        ? html`<p class="empty">${t('ptsFlagHistoryNone')}</p>`
        : html`<ul class="plain-list flag-history" data-testid="flag-history">
          ${[...d.flags].reverse().map(
            (f) => html`<li key=${f.quarter} data-quarter=${f.quarter} data-flag=${f.flag}>
              <strong>${quarterText(f.quarter, t)}</strong>
              <${FlagBadge} flag=${f.flag} label=${f.label} lang=${lang} t=${t} />
              <span class="sub">${t('ptsFlagLine', { points: f.points, rank: f.rank, of: f.of })}</span>
            </li>`,
          )}
        </ul>`
    }
    <h4>${t('ptsHistory')}</h4>
    ${
      d.history.length === 0
        ? html`<p class="empty">${t('greetRecentNone')}</p>`
        : html`<ul class="plain-list history" data-testid="member-history">
          ${d.history.map(
            (x) => html`<li key=${`${x.at}-${x.itemId}`} data-kind=${x.kind}>
              <span class="sub">${formatDateTime(x.at, locale)}</span>
              <span>${t(`ptsKind_${x.kind}`)} · ${nameOf(x.itemId)}${x.reason ? html` <em>（${x.reason}）</em>` : null}</span>
              <strong class=${x.points < 0 ? 'minus' : 'plus'}>${x.points > 0 ? `+${x.points}` : x.points}</strong>
            </li>`,
          )}
        </ul>`
    }
    ${can(role, 'admin') ? html`<${DeductionForm} residentId=${d.residentId} name=${d.name} onDone=${changed} />` : null}
  </div>`;
}
