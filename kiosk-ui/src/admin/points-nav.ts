import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';

function currentRoute(): string {
  return decodeURIComponent(location.hash.replace(/^#\/?/, ''));
}

/**
 * The admin page's place as the URL's hash says it (`#points/ranking`): a reload or a link sent
 * to a colleague opens the same page, and the browser's back button goes back.
 */
export function useHashRoute(): string {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

export interface NavTab {
  /** The hash it sets. */
  route: string;
  label: MessageKey;
  testId: string;
}

/** A row of tabs as links: the current one marked for the eye and for screen readers. */
export function NavTabs({
  tabs,
  current,
  label,
  className,
}: {
  tabs: NavTab[];
  current: string;
  label: MessageKey;
  className: string;
}) {
  const { t } = useI18n();
  return html`<nav class=${`nav-tabs ${className}`} aria-label=${t(label)}>
    ${tabs.map((tab) => {
      const on = tab.route === current;
      return html`<a
        href=${`#${tab.route}`}
        class=${on ? 'nav-tab current' : 'nav-tab'}
        aria-current=${on ? 'page' : undefined}
        data-testid=${tab.testId}
      >${t(tab.label)}</a>`;
    })}
  </nav>`;
}

/** The dashboard's top level: the house (devices, alarms, elders), party-member points, payments, notices, cloud sync. */
export function AdminNav({ route }: { route: string }) {
  const top = route.split('/')[0] ?? '';
  const current = ['points', 'payments', 'notices', 'sync'].includes(top) ? top : 'overview';
  return html`<${NavTabs}
    className="admin-nav"
    label="navMain"
    current=${current}
    tabs=${[
      { route: 'overview', label: 'navOverview', testId: 'nav-overview' },
      { route: 'points', label: 'navPoints', testId: 'nav-points' },
      { route: 'payments', label: 'navPayments', testId: 'nav-payments' },
      { route: 'notices', label: 'navNotices', testId: 'nav-notices' },
      { route: 'sync', label: 'navSync', testId: 'nav-sync' },
    ]}
  />`;
}
