import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { isFinal, type PaymentItem } from '../payment-types';
import { AttemptView } from './pay-attempt-view';
import { refusalText } from './pay-result';
import { AmountStep, ConfirmStep, ItemStep, itemName } from './pay-steps';
import type { PaymentBus } from './payment-bus';
import { useAutoHome } from './use-auto-home';
import { type Attempt, usePaymentAttempt } from './use-payment-attempt';

export type PayMode = 'sale' | 'account';

/** Untouched this long before paying, the screen goes home; a result stays up for RESULT_MS. */
const IDLE_MS = 90_000;
const RESULT_MS = 60_000;

type Step =
  | { kind: 'item' }
  | { kind: 'amount'; item: PaymentItem }
  | { kind: 'confirm'; item: PaymentItem; amountFen: number };

/** The items this mode pays for; a top-up needs a resident, which a kiosk does not know. */
function fits(item: PaymentItem, mode: PayMode): boolean {
  if (item.id === 'top-up') return false;
  return item.kind === 'both' || item.kind === mode;
}

/** Whether the screen may go home by itself: never while money may be moving. */
function mayLeave(a: Attempt | null): boolean {
  if (!a) return true;
  if (a.phase === 'sending') return false;
  if (a.phase !== 'tracking') return true;
  return a.view !== null && isFinal(a.view.state);
}

/**
 * The kiosk's pay flow (a bank card on a terminal) and account-spend flow (the resident card on a
 * reader): item → amount (yuan, to integer fen) → confirm → card → result. Chinese first, big
 * targets; the pay button is disabled while an attempt is under way, and an unknown result is
 * shown as "confirming" until the bank answers, with no way to pay again meanwhile.
 */
export function PayFlow({
  mode,
  bus,
  terminals,
  reader,
  onHome,
}: {
  mode: PayMode;
  bus: PaymentBus;
  terminals: string[];
  reader: string | null;
  onHome: () => void;
}) {
  const { t, lang } = useI18n();
  const [items, setItems] = useState<PaymentItem[] | null>(null);
  const [loadError, setLoadError] = useState<HttpError | null>(null);
  const [step, setStep] = useState<Step>({ kind: 'item' });
  const [touch, setTouch] = useState(0);
  const pay = usePaymentAttempt(bus);
  const a = pay.attempt;

  useEffect(() => {
    let stopped = false;
    api<PaymentItem[]>('GET', '/api/payments/items', undefined, { timeoutMs: 10_000 }).then(
      (list) => !stopped && setItems(list.filter((i) => fits(i, mode))),
      (err: HttpError) => !stopped && setLoadError(err),
    );
    return () => {
      stopped = true;
    };
  }, [mode]);

  const view = a?.phase === 'tracking' ? a.view : null;
  const final = view !== null && isFinal(view.state);
  const left = useAutoHome(
    final ? RESULT_MS : IDLE_MS,
    mayLeave(a),
    `${step.kind}|${a?.phase}|${view?.state}|${touch}`,
    onHome,
  );

  const noDevice = mode === 'sale' ? terminals.length === 0 : reader === null;
  const label = (id: string) =>
    itemName(
      items?.find((i) => i.id === id),
      id,
      lang,
    );

  let body: unknown;
  let back: (() => void) | null = null;
  if (noDevice)
    body = html`<p class="pay-error" role="alert">${t(mode === 'sale' ? 'payNoTerminal' : 'payNoReader')}</p>`;
  else if (a) {
    body = html`<${AttemptView} attempt=${a} sale=${mode === 'sale'} label=${label} onResend=${pay.resend} />`;
    if (a.phase === 'refused') back = pay.reset;
  } else if (loadError) body = html`<p class="pay-error" role="alert">${refusalText(loadError, t)}</p>`;
  else if (!items) body = html`<p class="pay-note">${t('loading')}</p>`;
  else if (step.kind === 'item')
    body = html`<${ItemStep}
      items=${items}
      onPick=${(item: PaymentItem) =>
        setStep(
          item.amountFen !== undefined
            ? { kind: 'confirm', item, amountFen: item.amountFen }
            : { kind: 'amount', item },
        )}
    />`;
  else if (step.kind === 'amount') {
    body = html`<${AmountStep} onAmount=${(amountFen: number) => setStep({ kind: 'confirm', item: step.item, amountFen })} />`;
    back = () => setStep({ kind: 'item' });
  } else {
    const { item, amountFen } = step;
    body = html`<${ConfirmStep}
      itemLabel=${label(item.id)}
      amountFen=${amountFen}
      terminals=${mode === 'sale' ? terminals : null}
      busy=${a !== null}
      onPay=${(deviceId: string | null) =>
        pay.start(
          deviceId !== null
            ? { kind: 'sale', item: item.id, amountFen, deviceId }
            : { kind: 'account', item: item.id, amountFen, readerId: reader ?? '' },
        )}
    />`;
    back = () => setStep(item.amountFen !== undefined ? { kind: 'item' } : { kind: 'amount', item });
  }

  const leave = mayLeave(a);
  return html`<section class="pay" data-testid="pay-flow" data-mode=${mode} onPointerDown=${() => setTouch((n) => n + 1)}>
    ${body}
    <footer class="pay-foot">
      ${back && a?.phase !== 'tracking' ? html`<button type="button" class="big-button secondary" data-testid="pay-back" onClick=${back}>${t('payBack')}</button>` : null}
      ${
        a?.phase === 'tracking' && view?.state === 'declined'
          ? html`<button type="button" class="big-button pay-primary" data-testid="pay-retry" onClick=${pay.reset}>${t('payRetry')}</button>`
          : null
      }
      ${leave ? html`<button type="button" class="big-button secondary" data-testid="pay-home" onClick=${onHome}>${t('payHome')}</button>` : null}
      ${leave ? html`<span class="pay-countdown">${t('payHomeIn', { n: left })}</span>` : null}
    </footer>
  </section>`;
}
