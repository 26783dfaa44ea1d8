import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n-context';
import { quarterText } from '../points-flag';
import { can, pointsErrorText, useGet, usePoints } from './points-load';
import { housePeriod } from './points-period';
import type { RankingRow, RankingView } from './points-types';

type Kind = 'month' | 'quarter' | 'year';
type By = '' | 'branch' | 'community';

const YEARS_BACK = 5;
const pad = (n: number) => String(n).padStart(2, '0');

function periodOf(kind: Kind, year: number, month: number, quarter: number): string {
  if (kind === 'month') return `${year}-${pad(month)}`;
  if (kind === 'quarter') return `${year}-Q${quarter}`;
  return String(year);
}

/** Rows split where the group changes (the API sorts by group, then rank). */
function grouped(rows: RankingRow[]): [string, RankingRow[]][] {
  const out: [string, RankingRow[]][] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last[0] === r.group) last[1].push(r);
    else out.push([r.group, [r]]);
  }
  return out;
}

/**
 * Rankings (viewer and up): a month, quarter or year, the whole house or by branch or community,
 * and for staff the same ranking as a CSV file that Excel opens (UTF-8 with BOM).
 */
export function PointsRanking() {
  const { t, locale } = useI18n();
  const { role, onAuthLost } = usePoints();
  const now = housePeriod();
  const [kind, setKind] = useState<Kind>('month');
  const [year, setYear] = useState(now.year);
  const [month, setMonth] = useState(now.month);
  const [quarter, setQuarter] = useState(now.quarter);
  const [by, setBy] = useState<By>('');
  const period = periodOf(kind, year, month, quarter);
  const query = `period=${encodeURIComponent(period)}${by ? `&by=${by}` : ''}`;
  const ranking = useGet<RankingView>(`/api/points/ranking?${query}`, onAuthLost);
  const rows = ranking.data?.period === period && (ranking.data.by ?? '') === by ? ranking.data.rows : null;
  const years = Array.from({ length: YEARS_BACK }, (_, i) => now.year - i);
  const num = (e: Event) => Number((e.target as HTMLSelectElement).value);
  const periodName =
    kind === 'month'
      ? new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
          Date.UTC(year, month - 1, 15),
        )
      : kind === 'quarter'
        ? quarterText(period, t)
        : t('ptsYearName', { year });

  return html`<div class="points-section" data-testid="pts-ranking">
    <div class="section-head">
      <h3>${t('ptsRankingTitle')}</h3>
      <span class="count">${periodName}</span>
    </div>
    <div class="toolbar">
      <div class="segmented" role="radiogroup" aria-label=${t('ptsPeriod')}>
        ${(['month', 'quarter', 'year'] as Kind[]).map(
          (k) => html`<button
            type="button"
            role="radio"
            aria-checked=${kind === k}
            class=${kind === k ? 'seg on' : 'seg'}
            data-testid=${`period-${k}`}
            onClick=${() => setKind(k)}
          >${t(`ptsPeriod_${k}`)}</button>`,
        )}
      </div>
      <label class="field inline">
        <span>${t('ptsYear')}</span>
        <select name="year" value=${year} onChange=${(e: Event) => setYear(num(e))}>
          ${years.map((y) => html`<option value=${y}>${y}</option>`)}
        </select>
      </label>
      ${
        kind === 'month'
          ? html`<label class="field inline">
            <span>${t('ptsMonth')}</span>
            <select name="month" value=${month} onChange=${(e: Event) => setMonth(num(e))}>
              ${Array.from({ length: 12 }, (_, i) => html`<option value=${i + 1}>${i + 1}</option>`)}
            </select>
          </label>`
          : null
      }
      ${
        kind === 'quarter'
          ? html`<label class="field inline">
            <span>${t('ptsQuarter')}</span>
            <select name="quarter" value=${quarter} onChange=${(e: Event) => setQuarter(num(e))}>
              ${[1, 2, 3, 4].map((q) => html`<option value=${q}>Q${q}</option>`)}
            </select>
          </label>`
          : null
      }
      <label class="field inline">
        <span>${t('ptsGroupBy')}</span>
        <select name="by" value=${by} onChange=${(e: Event) => setBy((e.target as HTMLSelectElement).value as By)}>
          <option value="">${t('ptsBy_all')}</option>
          <option value="branch">${t('ptsBy_branch')}</option>
          <option value="community">${t('ptsBy_community')}</option>
        </select>
      </label>
      ${
        can(role, 'staff')
          ? html`<a class="button-link" href=${`/api/points/ranking.csv?${query}`} download data-testid="ranking-csv">${t('ptsDownloadCsv')}</a>`
          : null
      }
    </div>
    ${ranking.error ? html`<p class="form-error" role="alert">${pointsErrorText(ranking.error, t)}</p>` : null}
    ${rows === null && !ranking.error ? html`<p class="empty">${t('loading')}</p>` : null}
    ${rows?.length === 0 ? html`<p class="empty">${t('ptsNoMembers')}</p>` : null}
    ${
      rows && rows.length > 0
        ? html`<div class="table-wrap ranking-wrap">
          <table class="devices points-table" data-testid="ranking-table">
            <thead>
              <tr>
                <th class="num">${t('ptsColRank')}</th>
                <th>${t('ptsColName')}</th>
                <th>${t('ptsColResident')}</th>
                <th class="num">${t('ptsColPoints')}</th>
              </tr>
            </thead>
            ${grouped(rows).map(
              ([group, list]) => html`<tbody key=${group}>
                ${by ? html`<tr class="group-row"><th colspan="4">${group || t('ptsNoGroup')} · ${t('ptsGroupCount', { n: list.length })}</th></tr>` : null}
                ${list.map(
                  (r) => html`<tr key=${r.residentId} data-testid=${`rank-${r.residentId}`}>
                    <td class="num"><span class=${r.rank <= 3 && r.points > 0 ? `rank top${r.rank}` : 'rank'}>${r.rank}</span></td>
                    <td><strong>${r.name}</strong></td>
                    <td><code>${r.residentId}</code></td>
                    <td class="num"><strong>${r.points}</strong></td>
                  </tr>`,
                )}
              </tbody>`,
            )}
          </table>
        </div>`
        : null
    }
  </div>`;
}
