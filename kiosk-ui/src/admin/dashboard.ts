import { html } from 'htm/preact';
import type { MeResponse } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { AlarmConsole } from './alarm-console';
import { ConfigSyncPage } from './config-sync-page';
import { DeviceTable } from './device-table';
import { DutyRoster } from './duty-roster';
import { Elders } from './elders';
import { errorText } from './error-text';
import { NoticesPage } from './notices-page';
import { PaymentsPage } from './payments-page';
import { AdminNav, useHashRoute } from './points-nav';
import { PointsPage } from './points-page';
import { RecentEvents } from './recent-events';
import { RegisterForm } from './register-form';
import { SyncPage } from './sync-page';
import { useLiveDevices } from './use-live-devices';

function LiveState({ state }: { state: 'connecting' | 'open' | 'denied' }) {
  const { t } = useI18n();
  const label = state === 'open' ? t('liveOpen') : state === 'denied' ? t('liveDenied') : t('liveConnecting');
  return html`<span class=${`conn ${state === 'open' ? 'open' : 'connecting'}`} data-testid="conn-state" data-state=${state}>
    <span class="conn-dot" aria-hidden="true"></span>${label}
  </span>`;
}

export function Dashboard({ me, onAuthLost }: { me: MeResponse; onAuthLost: () => void }) {
  const { t } = useI18n();
  const { devices, loadError, live, recent, reload } = useLiveDevices(onAuthLost);
  const online = devices?.filter((d) => d.online).length ?? 0;
  // Alarms, the roster and the elders are for staff and admins (a viewer's role may not see them).
  const onDuty = me.role === 'admin' || me.role === 'staff';
  // The alarm console stays on every page: an SOS must be seen and heard whatever the admin is doing.
  const route = useHashRoute();
  const alarms = onDuty ? html`<${AlarmConsole} onAuthLost=${onAuthLost} />` : null;
  if (route.startsWith('points'))
    return html`<main class="dashboard">
      <${AdminNav} route=${route} />
      ${alarms}
      <${PointsPage} me=${me} route=${route} onAuthLost=${onAuthLost} />
    </main>`;
  if (route.startsWith('payments'))
    return html`<main class="dashboard">
      <${AdminNav} route=${route} />
      ${alarms}
      <${PaymentsPage} me=${me} route=${route} onAuthLost=${onAuthLost} />
    </main>`;
  if (route === 'notices' || route === 'sync')
    return html`<main class="dashboard">
      <${AdminNav} route=${route} />
      ${alarms}
      ${
        route === 'notices'
          ? html`<${NoticesPage} me=${me} onAuthLost=${onAuthLost} />`
          : html`<${SyncPage} me=${me} onAuthLost=${onAuthLost} /><${ConfigSyncPage} me=${me} onAuthLost=${onAuthLost} />`
      }
    </main>`;
  return html`<main class="dashboard">
    <${AdminNav} route=${route} />
    ${alarms}
    <section class="panel devices-panel">
      <div class="panel-head">
        <h2>${t('devices')}</h2>
        ${devices ? html`<span class="count">${t('deviceCount', { n: devices.length, online })}</span>` : null}
        <${LiveState} state=${live} />
      </div>
      ${loadError ? html`<p class="form-error" role="alert">${errorText(loadError, t)}</p>` : null}
      ${devices ? html`<${DeviceTable} devices=${devices} />` : html`<p class="empty">${t('loading')}</p>`}
    </section>
    <div class="side-by-side">
      <${RecentEvents} events=${recent} />
      ${me.role === 'admin' ? html`<${RegisterForm} onRegistered=${() => void reload()} />` : null}
    </div>
    ${onDuty ? html`<${DutyRoster} canEdit=${me.role === 'admin'} />` : null}
    ${onDuty ? html`<${Elders} canEdit=${me.role === 'admin'} onAuthLost=${onAuthLost} />` : null}
  </main>`;
}
