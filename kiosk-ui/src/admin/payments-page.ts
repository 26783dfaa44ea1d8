import { html } from 'htm/preact';
import type { MeResponse } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { AccountLookup } from './account-lookup';
import { PaymentsList } from './payments-list';
import { type NavTab, NavTabs } from './points-nav';
import { ReconciliationPage } from './reconciliation-page';

type Section = 'list' | 'reconciliation' | 'accounts';

const TABS: (NavTab & { section: Section })[] = [
  { section: 'list', route: 'payments/list', label: 'payTabList', testId: 'pay-tab-list' },
  {
    section: 'reconciliation',
    route: 'payments/reconciliation',
    label: 'payTabRecon',
    testId: 'pay-tab-recon',
  },
  { section: 'accounts', route: 'payments/accounts', label: 'payTabAccounts', testId: 'pay-tab-accounts' },
];

/**
 * Payments in the admin page (`#payments/<section>[/<id>]`, staff and admin): the transactions
 * with the unknown ones on top, one in detail (void, query now); settlement and the
 * reconciliation reports; the resident-card accounts. Money is always ¥x.yy from integer fen.
 */
export function PaymentsPage({
  me,
  route,
  onAuthLost,
}: {
  me: MeResponse;
  route: string;
  onAuthLost: () => void;
}) {
  const { t } = useI18n();
  const [, wanted, ...rest] = route.split('/');
  const tab = TABS.find((s) => s.section === wanted) ?? TABS[0];
  const sub = rest.join('/') || undefined;
  const allowed = me.role === 'admin' || me.role === 'staff';
  let body = html`<p class="form-error" role="alert">${t('errForbidden')}</p>`;
  if (allowed && tab) {
    if (tab.section === 'list') body = html`<${PaymentsList} openId=${sub} onAuthLost=${onAuthLost} />`;
    else if (tab.section === 'reconciliation')
      body = html`<${ReconciliationPage} openId=${sub} onAuthLost=${onAuthLost} />`;
    else body = html`<${AccountLookup} residentId=${sub} onAuthLost=${onAuthLost} />`;
  }
  return html`<section class="panel payments" data-testid="payments" data-section=${tab?.section}>
    <div class="panel-head"><h2>${t('payTitle')}</h2></div>
    <${NavTabs} className="points-nav" label="payNav" current=${tab?.route ?? ''} tabs=${TABS} />
    ${body}
  </section>`;
}
