import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { MessageKey } from '../i18n';
import { useI18n } from '../i18n-context';
import { formatFen, parseYuanToFen } from '../money';
import type { PaymentItem } from '../payment-types';

function Heading({ main, alt }: { main: MessageKey; alt: MessageKey }) {
  const { t, lang } = useI18n();
  return html`<header class="pay-head">
    <h2>${t(main)}</h2>
    <p class="alt" lang=${lang === 'zh' ? 'en' : 'zh-CN'}>${t(alt)}</p>
  </header>`;
}

export function itemName(item: PaymentItem | undefined, id: string, lang: 'zh' | 'en'): string {
  return item ? item.name[lang] || item.name.zh : id;
}

/** The catalogue as big tiles, one tap each. */
export function ItemStep({ items, onPick }: { items: PaymentItem[]; onPick: (item: PaymentItem) => void }) {
  const { t, lang } = useI18n();
  return html`<div class="pay-step" data-testid="pay-items">
    <${Heading} main="payChooseItem" alt="payChooseItemAlt" />
    ${
      items.length === 0
        ? html`<p class="pay-note">${t('payNoItems')}</p>`
        : html`<div class="pay-tiles">
          ${items.map(
            (
              item,
            ) => html`<button type="button" class="pay-tile" data-testid=${`pay-item-${item.id}`} onClick=${() => onPick(item)}>
              <strong>${itemName(item, item.id, lang)}</strong>
              ${item.amountFen !== undefined ? html`<span>${formatFen(item.amountFen)}</span>` : null}
            </button>`,
          )}
        </div>`
    }
  </div>`;
}

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '.', '0', '⌫'] as const;

/** A keypad for yuan: the typed text is parsed to integer fen, never through a float. */
export function AmountStep({ onAmount }: { onAmount: (fen: number) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [bad, setBad] = useState(false);
  const press = (k: (typeof KEYS)[number]) => {
    setBad(false);
    setText((s) => {
      if (k === '⌫') return s.slice(0, -1);
      const next = s + k;
      // Keep what can still become an amount: up to 6 yuan digits, one point, two decimals.
      return /^\d{0,6}(\.\d{0,2})?$/.test(next) ? next : s;
    });
  };
  const confirm = () => {
    const fen = parseYuanToFen(text);
    if (fen === null) setBad(true);
    else onAmount(fen);
  };
  // Display and confirm beside the keypad: all of it fits a 1080-line screen without scrolling.
  return html`<div class="pay-step pay-amount-step" data-testid="pay-amount">
    <div class="pay-amount-side">
      <${Heading} main="payEnterAmount" alt="payEnterAmountAlt" />
      <output class=${bad ? 'pay-display bad' : 'pay-display'} data-testid="pay-amount-display">¥ ${text || '0'}</output>
      ${bad ? html`<p class="pay-error" role="alert" data-testid="pay-amount-error">${t('payAmountBad')}</p>` : null}
      <button type="button" class="big-button pay-primary" data-testid="pay-amount-ok" disabled=${text === ''} onClick=${confirm}>
        ${t('payConfirm')}
      </button>
    </div>
    <div class="pay-keypad">
      ${KEYS.map(
        (k) =>
          html`<button type="button" class="pay-key" data-testid=${`pay-key-${k === '.' ? 'dot' : k === '⌫' ? 'del' : k}`} onClick=${() => press(k)}>${k}</button>`,
      )}
    </div>
  </div>`;
}

/** The amount in large type, and the button that pays: one per terminal where there are more. */
export function ConfirmStep({
  itemLabel,
  amountFen,
  terminals,
  busy,
  onPay,
}: {
  itemLabel: string;
  amountFen: number;
  /** Null: an account spend, paid with the resident card. */
  terminals: string[] | null;
  busy: boolean;
  onPay: (deviceId: string | null) => void;
}) {
  const { t } = useI18n();
  const amount = formatFen(amountFen);
  const several = terminals !== null && terminals.length > 1;
  return html`<div class="pay-step" data-testid="pay-confirm">
    <p class="pay-item-label">${itemLabel}</p>
    <p class="pay-big-amount" data-testid="pay-confirm-amount">${amount}</p>
    ${several ? html`<${Heading} main="payChooseTerminal" alt="payChooseTerminalAlt" />` : null}
    <div class="pay-actions">
      ${
        terminals === null
          ? html`<button type="button" class="big-button pay-primary" data-testid="pay-now" disabled=${busy} onClick=${() => onPay(null)}>
            ${t('payNow', { amount })}
          </button>`
          : terminals.map(
              (
                id,
              ) => html`<button type="button" class="big-button pay-primary" data-testid=${several ? `pay-on-${id}` : 'pay-now'} disabled=${busy} onClick=${() => onPay(id)}>
                ${several ? id : t('payNow', { amount })}
              </button>`,
            )
      }
    </div>
  </div>`;
}
