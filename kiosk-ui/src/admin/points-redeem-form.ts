import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { pointsErrorText, useAction, usePoints } from './points-load';
import type { GoodsView, MemberRow, RedemptionView } from './points-types';

interface Attempt {
  member: MemberRow;
  goods: GoodsView;
  qty: number;
}

/** A refusal with the numbers the admin can act on: what it costs, what the member has, what is on the shelf. */
function refusal(code: string, a: Attempt, t: Translate): string | null {
  if (code === 'POINTS_BALANCE')
    return t('ptsRedeemNoBalance', {
      name: a.member.name,
      need: a.goods.points * a.qty,
      balance: a.member.balance,
    });
  if (code === 'POINTS_STOCK')
    return t('ptsRedeemNoStock', {
      goods: a.goods.name,
      stock: a.goods.stock,
      unit: a.goods.unit ?? t('ptsUnit'),
    });
  return null;
}

/**
 * Redeeming goods for a member (staff): the member's balance and the cost side by side before it
 * is asked; the API refuses when the balance or the stock is short, and the refusal says so.
 */
export function RedeemForm({
  members,
  goods,
  onDone,
}: {
  members: MemberRow[];
  goods: GoodsView[];
  onDone: () => void;
}) {
  const { t, locale } = useI18n();
  const { onAuthLost } = usePoints();
  const [memberId, setMemberId] = useState('');
  const [goodsId, setGoodsId] = useState('');
  const [qtyText, setQtyText] = useState('1');
  const [filter, setFilter] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [tried, setTried] = useState<Attempt | null>(null);
  const action = useAction(onAuthLost);
  const member = members.find((m) => m.id === memberId);
  const item = goods.find((g) => g.id === goodsId);
  const qty = Number(qtyText);
  const qtyOk = Number.isInteger(qty) && qty >= 1 && qty <= 100;
  const cost = item ? item.points * qty : 0;
  const f = filter.trim().toLowerCase();
  const choices = [...members]
    .filter(
      (m) => !f || m.name.toLowerCase().includes(f) || m.id.toLowerCase().includes(f) || m.id === memberId,
    )
    .sort((a, b) => a.name.localeCompare(b.name, locale));

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!member || !item || !qtyOk) return;
    const attempt = { member, goods: item, qty };
    setDone(null);
    setTried(attempt);
    let r: (RedemptionView & { balance: number }) | undefined;
    const ok = await action.run(async () => {
      r = await api('POST', '/api/points/redemptions', { residentId: member.id, goodsId: item.id, qty });
    });
    if (ok && r) {
      setDone(t('ptsRedeemDone', { name: member.name, goods: item.name, qty, balance: r.balance }));
      setQtyText('1');
    }
    onDone();
  };
  const refused = action.error && tried ? refusal(action.error.body.code, tried, t) : null;

  return html`<form class="points-form" data-testid="redeem-form" onSubmit=${(e: Event) => void submit(e)}>
    <h4>${t('ptsRedeemTitle')}</h4>
    <label class="field">
      <span>${t('ptsRedeemFind')}</span>
      <input type="search" name="filter" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
    </label>
    <label class="field">
      <span>${t('ptsRedeemMember')}</span>
      <select name="member" required value=${memberId} onChange=${(e: Event) => setMemberId((e.target as HTMLSelectElement).value)}>
        <option value="">${t('ptsChoose')}</option>
        ${choices.map((m) => html`<option value=${m.id}>${t('ptsMemberOption', { name: m.name, id: m.id, balance: m.balance })}</option>`)}
      </select>
    </label>
    <label class="field">
      <span>${t('ptsRedeemGoods')}</span>
      <select name="goods" required value=${goodsId} onChange=${(e: Event) => setGoodsId((e.target as HTMLSelectElement).value)}>
        <option value="">${t('ptsChoose')}</option>
        ${goods.map(
          (g) =>
            html`<option value=${g.id}>${t('ptsGoodsOption', { name: g.name, n: g.points, stock: g.stock, unit: g.unit ?? t('ptsUnit') })}</option>`,
        )}
      </select>
    </label>
    <label class="field">
      <span>${t('ptsRedeemQty')}</span>
      <input type="number" name="qty" min="1" max="100" step="1" value=${qtyText} onInput=${(e: Event) => setQtyText((e.target as HTMLInputElement).value)} />
    </label>
    ${
      member && item && qtyOk
        ? html`<p class=${cost > member.balance || qty > item.stock ? 'redeem-check short' : 'redeem-check'} data-testid="redeem-check">
          ${t('ptsRedeemCheck', { cost, name: member.name, balance: member.balance, stock: item.stock })}
          ${cost > member.balance ? html` <strong>${t('ptsShortBalance')}</strong>` : null}
          ${qty > item.stock ? html` <strong>${t('ptsShortStock')}</strong>` : null}
        </p>`
        : null
    }
    ${
      action.error
        ? html`<p class="form-error" role="alert" data-testid="redeem-error" data-code=${action.error.body.code}>
          ${refused ?? pointsErrorText(action.error, t)}
        </p>`
        : null
    }
    ${done ? html`<p class="notice-ok" role="status" data-testid="redeem-done">${done}</p>` : null}
    <div class="form-buttons">
      <button type="submit" data-testid="redeem-submit" disabled=${action.busy || !member || !item || !qtyOk}>
        ${action.busy ? t('ptsWorking') : t('ptsRedeem')}
      </button>
    </div>
  </form>`;
}
