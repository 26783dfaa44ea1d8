import { html } from 'htm/preact';
import type { DeviceView } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';
import { formatDateTime, formatRelative } from '../time';
import { useNow } from '../use-now';

function StatusBadge({ device }: { device: DeviceView }) {
  const { t } = useI18n();
  return html`<span
    class=${device.online ? 'badge badge-on' : 'badge badge-off'}
    data-testid=${`device-status-${device.id}`}
    data-online=${device.online ? 'true' : 'false'}
  >
    <span class="badge-mark" aria-hidden="true">${device.online ? '●' : '○'}</span>
    ${device.online ? t('online') : t('offline')}
  </span>`;
}

function Row({ device, now }: { device: DeviceView; now: number }) {
  const { t, locale } = useI18n();
  const c = device.counters;
  return html`<tr data-testid=${`device-row-${device.id}`} class=${device.online ? '' : 'row-off'}>
    <td class="cell-id">
      <code>${device.id}</code>
      ${device.name ? html`<div class="sub">${device.name}</div>` : null}
    </td>
    <td>${t(`type_${device.type}`)}</td>
    <td>
      ${t(`transport_${device.transport}`)}
      ${device.path ? html`<div class="sub"><code>${device.path}</code>${device.baudRate ? ` · ${device.baudRate}` : ''}</div>` : null}
    </td>
    <td><${StatusBadge} device=${device} /></td>
    <td
      data-testid=${`device-lastseen-${device.id}`}
      title=${device.lastSeen ? formatDateTime(device.lastSeen, locale) : ''}
    >
      ${formatRelative(device.lastSeen, now, t)}
    </td>
    <td class="cell-reason">${device.online ? '' : (device.offlineReason ?? '—')}</td>
    <td class="num">${c.events}</td>
    <td class=${c.errors > 0 ? 'num warn' : 'num'}>${c.errors}</td>
    <td class="num">${c.reconnects}</td>
  </tr>`;
}

export function DeviceTable({ devices }: { devices: DeviceView[] }) {
  const { t } = useI18n();
  const now = useNow(1000);
  if (devices.length === 0) return html`<p class="empty" data-testid="no-devices">${t('noDevices')}</p>`;
  return html`<div class="table-wrap">
    <table class="devices" data-testid="device-table">
      <thead>
        <tr>
          <th>${t('colId')}</th>
          <th>${t('colType')}</th>
          <th>${t('colTransport')}</th>
          <th>${t('colStatus')}</th>
          <th>${t('colLastSeen')}</th>
          <th>${t('colReason')}</th>
          <th class="num">${t('colEvents')}</th>
          <th class="num">${t('colErrors')}</th>
          <th class="num">${t('colReconnects')}</th>
        </tr>
      </thead>
      <tbody>
        ${devices.map((d) => html`<${Row} key=${d.id} device=${d} now=${now} />`)}
      </tbody>
    </table>
  </div>`;
}
