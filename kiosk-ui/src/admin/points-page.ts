import { html } from 'htm/preact';
import { useMemo } from 'preact/hooks';
import type { MeResponse, Role } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { PointsAssessments } from './points-assessments';
import { can, PointsContext, pointsErrorText, useGet } from './points-load';
import { PointsMembers } from './points-members';
import { type NavTab, NavTabs } from './points-nav';
import { PointsRanking } from './points-ranking';
import { PointsSessions } from './points-sessions';
import { PointsShop } from './points-shop';
import type { SchemeView } from './points-types';

type Section = 'sessions' | 'ranking' | 'assessments' | 'shop' | 'members';

const SECTIONS: (NavTab & { section: Section; needs: Role })[] = [
  {
    section: 'sessions',
    needs: 'staff',
    route: 'points/sessions',
    label: 'ptsTabSessions',
    testId: 'pts-tab-sessions',
  },
  {
    section: 'ranking',
    needs: 'viewer',
    route: 'points/ranking',
    label: 'ptsTabRanking',
    testId: 'pts-tab-ranking',
  },
  {
    section: 'assessments',
    needs: 'viewer',
    route: 'points/assessments',
    label: 'ptsTabAssessments',
    testId: 'pts-tab-assessments',
  },
  { section: 'shop', needs: 'viewer', route: 'points/shop', label: 'ptsTabShop', testId: 'pts-tab-shop' },
  {
    section: 'members',
    needs: 'staff',
    route: 'points/members',
    label: 'ptsTabMembers',
    testId: 'pts-tab-members',
  },
];

/**
 * Party-member points in the admin page (`#points/<section>[/<id>]`): activity sessions with
 * who swiped live, rankings and their CSV, quarterly assessments, the points supermarket and the
 * members with their history and deductions. A role sees only the sections and buttons its API
 * routes allow.
 */
export function PointsPage({
  me,
  route,
  onAuthLost,
}: {
  me: MeResponse;
  route: string;
  onAuthLost: () => void;
}) {
  const { t } = useI18n();
  const scheme = useGet<SchemeView>('/api/points/scheme', onAuthLost);
  const tabs = SECTIONS.filter((s) => can(me.role, s.needs));
  const [, wanted, ...rest] = route.split('/');
  const tab = tabs.find((s) => s.section === wanted) ?? tabs[0];
  const sub = rest.join('/') || undefined;
  const data = scheme.data;
  const ctx = useMemo(
    () => (data ? { role: me.role, scheme: data, reloadScheme: scheme.reload, onAuthLost } : null),
    [data, me.role, scheme.reload, onAuthLost],
  );

  let body = html`<p class="empty">${t('loading')}</p>`;
  if (scheme.error && !data)
    body = html`<p class="form-error" role="alert">${pointsErrorText(scheme.error, t)}</p>`;
  else if (ctx && tab) {
    switch (tab.section) {
      case 'sessions':
        body = html`<${PointsSessions} />`;
        break;
      case 'ranking':
        body = html`<${PointsRanking} />`;
        break;
      case 'assessments':
        body = html`<${PointsAssessments} openId=${sub} />`;
        break;
      case 'shop':
        body = html`<${PointsShop} />`;
        break;
      case 'members':
        body = html`<${PointsMembers} openId=${sub} />`;
        break;
    }
  }

  return html`<section class="panel points" data-testid="points" data-section=${tab?.section}>
    <div class="panel-head">
      <h2>${t('ptsTitle')}</h2>
      ${data?.name ? html`<span class="count">${data.name}</span>` : null}
    </div>
    <${NavTabs} className="points-nav" label="ptsNav" current=${tab?.route ?? ''} tabs=${tabs} />
    ${ctx ? html`<${PointsContext.Provider} value=${ctx}>${body}</${PointsContext.Provider}>` : body}
  </section>`;
}
