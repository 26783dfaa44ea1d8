import { html } from 'htm/preact';
import type { Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { FlagBadge } from '../points-flag';
import type { FlagResultRow, FlagRule } from './points-types';

/** A rule's condition in words: `排名前 50% 且不少于 10 分`, or `其余` for the last. */
export function ruleText(r: FlagRule, t: Translate): string {
  const parts: string[] = [];
  if (r.topPercent !== undefined) parts.push(t('ptsRuleTop', { p: r.topPercent }));
  if (r.minPoints !== undefined) parts.push(t('ptsRuleMin', { n: r.minPoints }));
  return parts.length ? parts.join(t('ptsRuleAnd')) : t('ptsRuleRest');
}

/** The scheme's flag rules, tried in order. */
export function FlagRules({ rules, scope }: { rules: FlagRule[]; scope: 'branch' | 'community' }) {
  const { t, lang } = useI18n();
  return html`<div class="flag-rules" data-testid="flag-rules">
    <p class="sub">${t('ptsRulesIntro', { scope: t(`ptsScope_${scope}`) })}</p>
    <ul class="plain-list">
      ${rules.map(
        (r) => html`<li key=${r.flag}>
          <${FlagBadge} flag=${r.flag} label=${r.label} lang=${lang} t=${t} /> ${ruleText(r, t)}
        </li>`,
      )}
    </ul>
  </div>`;
}

/** How many members got each flag, in the rules' order. */
export function FlagCounts({ counts, rules }: { counts: Record<string, number>; rules: FlagRule[] }) {
  const { t, lang } = useI18n();
  const order = [
    ...rules.map((r) => r.flag),
    ...Object.keys(counts).filter((f) => !rules.some((r) => r.flag === f)),
  ];
  return html`<span class="flag-counts">
    ${order.map((flag) => {
      const rule = rules.find((r) => r.flag === flag);
      return html`<span key=${flag} class="flag-count" data-testid=${`count-${flag}`} data-n=${counts[flag] ?? 0}>
        <${FlagBadge} flag=${flag} label=${rule?.label} lang=${lang} t=${t} />
        <strong>×${counts[flag] ?? 0}</strong>
      </span>`;
    })}
  </span>`;
}

export function countFlags(results: FlagResultRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.flag] = (counts[r.flag] ?? 0) + 1;
  return counts;
}

/** Each member's flag: by group (branch) when the scope is the branch, then by rank. */
export function FlagResults({
  results,
  rules,
  scope,
  testId,
}: {
  results: FlagResultRow[];
  rules: FlagRule[];
  scope: 'branch' | 'community';
  testId: string;
}) {
  const { t, lang } = useI18n();
  if (results.length === 0) return html`<p class="empty">${t('ptsNoMembers')}</p>`;
  return html`<div class="table-wrap">
    <table class="devices points-table" data-testid=${testId}>
      <thead>
        <tr>
          ${scope === 'branch' ? html`<th>${t('ptsBy_branch')}</th>` : null}
          <th class="num">${t('ptsColRank')}</th>
          <th>${t('ptsColName')}</th>
          <th class="num">${t('ptsColQuarterPoints')}</th>
          <th>${t('ptsColFlag')}</th>
        </tr>
      </thead>
      <tbody>
        ${results.map(
          (r) => html`<tr key=${r.residentId} data-testid=${`flag-${r.residentId}`} data-flag=${r.flag}>
            ${scope === 'branch' ? html`<td>${r.group || t('ptsNoGroup')}</td>` : null}
            <td class="num">${t('ptsRankOf', { rank: r.rank, of: r.of })}</td>
            <td><strong>${r.name}</strong> <code class="sub">${r.residentId}</code></td>
            <td class="num">${r.points}</td>
            <td><${FlagBadge} flag=${r.flag} label=${rules.find((x) => x.flag === r.flag)?.label} lang=${lang} t=${t} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
