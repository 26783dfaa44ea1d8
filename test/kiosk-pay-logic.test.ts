import t from 'tap';
import { isNewer, type PaymentState, type PaymentView } from '../kiosk-ui/src/payment-types.js';

// The kiosk pay flow's rule for live updates, outside the browser: which view of a payment wins.
function view(states: PaymentState[]): PaymentView {
  const at = '2026-12-02T10:00:00.000Z';
  return {
    ...{ id: 'p', ref: 'R', kind: 'sale', item: 'utility-bill', amountFen: 100, deviceId: 'pos-1' },
    state: states[states.length - 1] ?? 'created',
    createdAt: at,
    updatedAt: at,
    history: states.map((state) => ({ state, at })),
  };
}

t.test('a newer view wins; an older one never rolls a payment back', async (t) => {
  t.ok(isNewer(null, view(['created'])));
  t.ok(isNewer(view(['created', 'sent']), view(['created', 'sent', 'unknown'])));
  t.ok(isNewer(view(['created', 'sent', 'unknown']), view(['created', 'sent', 'unknown', 'approved'])));
  t.notOk(isNewer(view(['created', 'sent', 'unknown']), view(['created', 'sent'])), 'a late sent');
  t.notOk(
    isNewer(view(['created', 'sent', 'approved']), view(['created', 'sent', 'unknown'])),
    'final stays',
  );
  t.ok(isNewer(view(['created', 'sent', 'approved']), view(['created', 'sent', 'approved', 'voided'])));
});
