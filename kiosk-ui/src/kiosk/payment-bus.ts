import type { PaymentPrompt, PaymentView } from '../payment-types';

/** What the kiosk's event stream says about payments, handed to the flow on screen. */
export interface PaymentBusListener {
  payment?: (view: PaymentView) => void;
  prompt?: (prompt: PaymentPrompt) => void;
  /** The stream (re)opened: what it said while down was missed. */
  reopened?: () => void;
}

/**
 * A small fan-out from the kiosk's one `GET /api/kiosk/events` stream to whatever payment flow is
 * on screen; the flow subscribes while it lives. Made once per kiosk screen, never global.
 */
export class PaymentBus {
  readonly #listeners = new Set<PaymentBusListener>();
  /** Whether the stream is open now: while it is not, the flow asks the API itself. */
  open = false;

  subscribe(listener: PaymentBusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  payment(view: PaymentView): void {
    for (const l of this.#listeners) l.payment?.(view);
  }

  prompt(prompt: PaymentPrompt): void {
    for (const l of this.#listeners) l.prompt?.(prompt);
  }

  state(open: boolean): void {
    const was = this.open;
    this.open = open;
    if (open && !was) for (const l of this.#listeners) l.reopened?.();
  }
}
