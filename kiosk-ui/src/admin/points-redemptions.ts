import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { formatDateTime } from '../time';
import { can, type Loaded, pointsErrorText, useAction, usePoints } from './points-load';
import type { RedemptionView } from './points-types';

const SHOWN = 30;
const REASON_MIN = 2;

/** Reversing one redemption (admin): only with a reason, which the journal keeps. */
function Reverse({ r, onDone }: { r: RedemptionView; onDone: () => void }) {
  const { t } = useI18n();
  const { onAuthLost } = usePoints();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const action = useAction(onAuthLost);
  const ok = reason.trim().length >= REASON_MIN;
  const submit = async (e: Event) => {
    e.preventDefault();
    const done = await action.run(async () => {
      await api('POST', `/api/points/redemptions/${encodeURIComponent(r.id)}/reverse`, {
        reason: reason.trim(),
      });
    });
    if (done) {
      setAsking(false);
      onDone();
    }
  };
  if (!asking)
    return html`<button type="button" class="secondary danger" data-testid="reverse" onClick=${() => setAsking(true)}>${t('ptsReverse')}</button>`;
  return html`<form class="inline-form" data-testid="reverse-form" onSubmit=${(e: Event) => void submit(e)}>
    <input
      type="text"
      name="reason"
      required
      minlength=${REASON_MIN}
      maxlength="500"
      placeholder=${t('ptsReverseReason')}
      aria-label=${t('ptsReverseReason')}
      value=${reason}
      onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)}
    />
    <button type="submit" class="danger-solid" data-testid="reverse-confirm" disabled=${!ok || action.busy}>${t('ptsReverseConfirm')}</button>
    <button type="button" class="secondary" onClick=${() => setAsking(false)}>${t('ptsCancel')}</button>
    ${action.error ? html`<p class="form-error" role="alert">${pointsErrorText(action.error, t)}</p>` : null}
  </form>`;
}

/** Recent redemptions, newest first; a reversed one shows why, when and by whom. */
export function Redemptions({
  list,
  onReversed,
}: {
  list: Loaded<RedemptionView[]>;
  onReversed: () => void;
}) {
  const { t, locale } = useI18n();
  const { role } = usePoints();
  const admin = can(role, 'admin');
  const rows = (list.data ?? []).slice(0, SHOWN);
  return html`<div class="redemptions" data-testid="redemptions">
    <h4>${t('ptsRedemptionsTitle')}</h4>
    ${list.error ? html`<p class="form-error" role="alert">${pointsErrorText(list.error, t)}</p>` : null}
    ${list.data && rows.length === 0 ? html`<p class="empty">${t('ptsRedemptionsNone')}</p>` : null}
    ${
      rows.length > 0
        ? html`<div class="table-wrap">
          <table class="devices points-table">
            <thead>
              <tr>
                <th>${t('ptsColTime')}</th>
                <th>${t('ptsColName')}</th>
                <th>${t('ptsColGoods')}</th>
                <th class="num">${t('ptsColPoints')}</th>
                <th>${t('ptsColBy')}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) => html`<tr
                  key=${r.id}
                  class=${r.reversed ? 'row-reversed' : ''}
                  data-testid=${`redemption-${r.id}`}
                  data-goods=${r.goodsId}
                  data-resident=${r.residentId}
                  data-reversed=${r.reversed ? 'true' : 'false'}
                >
                  <td>${formatDateTime(r.at, locale)}</td>
                  <td>${r.name}</td>
                  <td>${r.goods} ×${r.qty}</td>
                  <td class="num">${r.points}</td>
                  <td>${r.by}</td>
                  <td>
                    ${
                      r.reversed
                        ? html`<span class="reversed-note" data-testid="reversed-note">
                          ${t('ptsReversed', { reason: r.reversed.reason, by: r.reversed.by, at: formatDateTime(r.reversed.at, locale) })}
                        </span>`
                        : admin
                          ? html`<${Reverse} r=${r} onDone=${onReversed} />`
                          : null
                    }
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>`
        : null
    }
  </div>`;
}
