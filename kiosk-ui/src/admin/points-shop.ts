import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { can, pointsErrorText, useAction, useGet, usePoints } from './points-load';
import { RedeemForm } from './points-redeem-form';
import { Redemptions } from './points-redemptions';
import type { GoodsView, MemberRow, RedemptionView } from './points-types';

/** One shelf line: cost and stock, and for staff goods received (or, negative, written off). */
function GoodsRow({ g, canStock, onStocked }: { g: GoodsView; canStock: boolean; onStocked: () => void }) {
  const { t } = useI18n();
  const { onAuthLost } = usePoints();
  const [qty, setQty] = useState('');
  const [note, setNote] = useState('');
  const action = useAction(onAuthLost);
  const n = Number(qty);
  const valid = qty.trim() !== '' && Number.isInteger(n) && n !== 0;
  const submit = async (e: Event) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await api('POST', `/api/points/goods/${encodeURIComponent(g.id)}/stock`, {
        qty: n,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
    });
    if (ok) {
      setQty('');
      setNote('');
      onStocked();
    }
  };
  return html`<tr data-testid=${`goods-${g.id}`} data-stock=${g.stock} class=${g.stock === 0 ? 'row-empty' : ''}>
    <td><strong>${g.name}</strong> <code class="sub">${g.id}</code></td>
    <td class="num">${t('ptsPerUnit', { n: g.points, unit: g.unit ?? t('ptsUnit') })}</td>
    <td class="num"><strong data-testid="goods-stock">${g.stock}</strong>${g.stock === 0 ? html` <span class="warn">${t('ptsOutOfStock')}</span>` : null}</td>
    ${
      canStock
        ? html`<td>
          <form class="inline-form" onSubmit=${(e: Event) => void submit(e)}>
            <input
              type="number"
              name="qty"
              step="1"
              min="-10000"
              max="10000"
              placeholder=${t('ptsRestockQty')}
              aria-label=${t('ptsRestockQty')}
              value=${qty}
              onInput=${(e: Event) => setQty((e.target as HTMLInputElement).value)}
            />
            <input
              type="text"
              name="note"
              maxlength="200"
              placeholder=${t('ptsRestockNote')}
              aria-label=${t('ptsRestockNote')}
              value=${note}
              onInput=${(e: Event) => setNote((e.target as HTMLInputElement).value)}
            />
            <button type="submit" class="secondary" data-testid="restock" disabled=${!valid || action.busy}>${t('ptsRestock')}</button>
          </form>
          ${action.error ? html`<p class="form-error" role="alert">${pointsErrorText(action.error, t)}</p>` : null}
        </td>`
        : null
    }
  </tr>`;
}

/**
 * The points supermarket (积分超市): the goods with their stock (everyone), goods received and
 * redemptions for a member (staff), and the recent redemptions with reversal (admin).
 */
export function PointsShop() {
  const { t } = useI18n();
  const { role, onAuthLost } = usePoints();
  const staff = can(role, 'staff');
  const goods = useGet<GoodsView[]>('/api/points/goods', onAuthLost);
  const members = useGet<MemberRow[]>(staff ? '/api/points/members' : null, onAuthLost);
  const redemptions = useGet<RedemptionView[]>(staff ? '/api/points/redemptions' : null, onAuthLost);
  const reloadAll = () => {
    void goods.reload();
    void members.reload();
    void redemptions.reload();
  };

  return html`<div class="points-section" data-testid="pts-shop">
    <div class="section-head"><h3>${t('ptsShopTitle')}</h3></div>
    ${goods.error ? html`<p class="form-error" role="alert">${pointsErrorText(goods.error, t)}</p>` : null}
    <div class="points-columns">
      <div class="points-main">
        ${goods.data === null && !goods.error ? html`<p class="empty">${t('loading')}</p>` : null}
        ${goods.data?.length === 0 ? html`<p class="empty">${t('ptsNoGoods')}</p>` : null}
        ${
          goods.data && goods.data.length > 0
            ? html`<div class="table-wrap">
              <table class="devices points-table" data-testid="goods-table">
                <thead>
                  <tr>
                    <th>${t('ptsColGoods')}</th>
                    <th class="num">${t('ptsColCost')}</th>
                    <th class="num">${t('ptsColStock')}</th>
                    ${staff ? html`<th>${t('ptsColRestock')}</th>` : null}
                  </tr>
                </thead>
                <tbody>
                  ${goods.data.map((g) => html`<${GoodsRow} key=${g.id} g=${g} canStock=${staff} onStocked=${() => void goods.reload()} />`)}
                </tbody>
              </table>
            </div>`
            : null
        }
        ${staff ? html`<${Redemptions} list=${redemptions} onReversed=${reloadAll} />` : null}
      </div>
      <div class="points-side">
        ${
          staff
            ? html`<${RedeemForm} members=${members.data ?? []} goods=${goods.data ?? []} onDone=${reloadAll} />`
            : html`<p class="sub">${t('ptsShopStaffOnly')}</p>`
        }
      </div>
    </div>
  </div>`;
}
