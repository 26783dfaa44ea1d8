import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { quarterText } from '../points-flag';
import { formatDateTime } from '../time';
import { countFlags, FlagCounts, FlagResults, FlagRules } from './points-flags';
import { can, pointsErrorText, useAction, useGet, usePoints } from './points-load';
import { finishedQuarters } from './points-period';
import type { AssessmentDetail, AssessmentPreview, AssessmentSummary } from './points-types';

const QUARTERS_OFFERED = 8;

/** A finished quarter's flags before they are recorded (staff), and recording them (admin). */
function NewAssessment({
  past,
  onMade,
}: {
  past: AssessmentSummary[];
  onMade: (a: AssessmentSummary) => void;
}) {
  const { t, locale } = useI18n();
  const { role, scheme, onAuthLost } = usePoints();
  const quarters = finishedQuarters(QUARTERS_OFFERED);
  const [quarter, setQuarter] = useState(quarters[0] ?? '');
  const preview = useGet<AssessmentPreview>(
    quarter ? `/api/points/assessments/preview?quarter=${encodeURIComponent(quarter)}` : null,
    onAuthLost,
  );
  const record = useAction(onAuthLost);
  const shown = preview.data?.quarter === quarter ? preview.data : null;
  const earlier = past.find((a) => a.quarter === quarter);

  const make = async () => {
    let made: AssessmentSummary | undefined;
    const ok = await record.run(async () => {
      made = await api<AssessmentSummary>('POST', '/api/points/assessments', { quarter });
    });
    if (ok && made) onMade(made);
  };

  return html`<div class="points-form" data-testid="assessment-new">
    <h4>${t('ptsAssessNew')}</h4>
    <${FlagRules} rules=${scheme.assessment.rules} scope=${scheme.assessment.scope} />
    <label class="field">
      <span>${t('ptsAssessQuarter')}</span>
      <select name="quarter" value=${quarter} onChange=${(e: Event) => setQuarter((e.target as HTMLSelectElement).value)}>
        ${quarters.map((q) => html`<option value=${q}>${quarterText(q, t)}</option>`)}
      </select>
    </label>
    ${earlier ? html`<p class="notice-line" data-testid="assessment-earlier">${t('ptsAssessEarlier', { at: formatDateTime(earlier.at, locale) })}</p>` : null}
    ${preview.error ? html`<p class="form-error" role="alert">${pointsErrorText(preview.error, t)}</p>` : null}
    ${
      shown
        ? html`<div class="assessment-preview" data-testid="assessment-preview">
          <p><strong>${t('ptsAssessPreview')}</strong> <${FlagCounts} counts=${countFlags(shown.results)} rules=${shown.rules} /></p>
          <${FlagResults} results=${shown.results} rules=${shown.rules} scope=${shown.scope} testId="preview-table" />
        </div>`
        : preview.error
          ? null
          : html`<p class="empty">${t('loading')}</p>`
    }
    ${record.error ? html`<p class="form-error" role="alert">${pointsErrorText(record.error, t)}</p>` : null}
    ${
      can(role, 'admin')
        ? html`<div class="form-buttons">
          <button type="button" data-testid="assessment-record" disabled=${record.busy || !shown} onClick=${() => void make()}>
            ${record.busy ? t('ptsWorking') : t('ptsAssessRecord', { quarter: quarterText(quarter, t) })}
          </button>
        </div>`
        : html`<p class="sub">${t('ptsAssessAdminOnly')}</p>`
    }
  </div>`;
}

function Detail({ id }: { id: string }) {
  const { t, locale } = useI18n();
  const { onAuthLost } = usePoints();
  const a = useGet<AssessmentDetail>(`/api/points/assessments/${encodeURIComponent(id)}`, onAuthLost);
  if (a.error) return html`<p class="form-error" role="alert">${pointsErrorText(a.error, t)}</p>`;
  if (!a.data) return html`<p class="empty">${t('loading')}</p>`;
  const d = a.data;
  return html`<div class="assessment-detail" data-testid="assessment-detail" data-quarter=${d.quarter}>
    <div class="section-head">
      <h4>${t('ptsAssessDetail', { quarter: quarterText(d.quarter, t) })}</h4>
      <a href="#points/assessments" class="button-link secondary">${t('ptsBackToList')}</a>
    </div>
    <p class="sub">${t('ptsAssessMadeBy', { by: d.by, at: formatDateTime(d.at, locale) })}</p>
    <p><${FlagCounts} counts=${d.counts} rules=${d.rules} /></p>
    <${FlagResults} results=${d.results} rules=${d.rules} scope=${d.scope} testId="assessment-results" />
  </div>`;
}

/**
 * Quarterly assessments: the past ones with how many got each flag (the latest of a quarter
 * counts, earlier ones stay as history), one in detail, and a new one for a finished quarter.
 */
export function PointsAssessments({ openId }: { openId?: string | undefined }) {
  const { t, locale } = useI18n();
  const { role, onAuthLost } = usePoints();
  const list = useGet<AssessmentSummary[]>('/api/points/assessments', onAuthLost);
  const rows = list.data ?? [];
  const current = new Set<string>();
  const seen = new Set<string>();
  for (const a of rows) {
    if (!seen.has(a.quarter)) current.add(a.id);
    seen.add(a.quarter);
  }
  const onMade = (a: AssessmentSummary) => {
    void list.reload();
    location.hash = `#points/assessments/${a.id}`;
  };

  return html`<div class="points-section" data-testid="pts-assessments">
    <div class="section-head"><h3>${t('ptsAssessTitle')}</h3></div>
    ${list.error ? html`<p class="form-error" role="alert">${pointsErrorText(list.error, t)}</p>` : null}
    <div class="points-columns">
      <div class="points-main">
        ${openId ? html`<${Detail} key=${openId} id=${openId} />` : null}
        <h4>${t('ptsAssessPast')}</h4>
        ${list.data && rows.length === 0 ? html`<p class="empty">${t('ptsAssessNone')}</p>` : null}
        ${
          rows.length > 0
            ? html`<ul class="plain-list assessment-list" data-testid="assessment-list">
              ${rows.map(
                (a) => html`<li
                  key=${a.id}
                  class=${`${a.id === openId ? 'selected' : ''} ${current.has(a.id) ? '' : 'superseded'}`}
                  data-testid=${`assessment-${a.quarter}`}
                >
                  <a href=${`#points/assessments/${a.id}`} data-testid="assessment-open"><strong>${quarterText(a.quarter, t)}</strong></a>
                  ${current.has(a.id) ? null : html`<span class="tag">${t('ptsAssessSuperseded')}</span>`}
                  <${FlagCounts} counts=${a.counts} rules=${a.rules} />
                  <span class="sub">${t('ptsAssessMadeBy', { by: a.by, at: formatDateTime(a.at, locale) })}</span>
                </li>`,
              )}
            </ul>`
            : null
        }
      </div>
      <div class="points-side">
        ${can(role, 'staff') ? html`<${NewAssessment} past=${rows} onMade=${onMade} />` : null}
      </div>
    </div>
  </div>`;
}
