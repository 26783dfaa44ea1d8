import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useI18n } from '../i18n-context';
import { pointsErrorText, useAction, usePoints } from './points-load';

const REASON_MIN = 2;

/** A deduction (admin): one of the scheme's deduction items, always with a reason, which the journal keeps. */
export function DeductionForm({
  residentId,
  name,
  onDone,
}: {
  residentId: string;
  name: string;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const { scheme, onAuthLost } = usePoints();
  const items = scheme.items.filter((i) => i.category === 'deduction');
  const [itemId, setItemId] = useState('');
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction(onAuthLost);
  const item = items.find((i) => i.id === itemId);
  const ok = !!item && reason.trim().length >= REASON_MIN;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!item) return;
    setDone(null);
    const sent = await action.run(async () => {
      await api('POST', '/api/points/deductions', { residentId, itemId: item.id, reason: reason.trim() });
    });
    if (sent) {
      setDone(t('ptsDeductDone', { name, item: item.name, n: item.points }));
      setItemId('');
      setReason('');
      onDone();
    }
  };

  if (items.length === 0) return html`<p class="sub">${t('ptsDeductNoItems')}</p>`;
  return html`<form class="points-form deduction-form" data-testid="deduction-form" onSubmit=${(e: Event) => void submit(e)}>
    <h4>${t('ptsDeductTitle', { name })}</h4>
    <label class="field">
      <span>${t('ptsDeductItem')}</span>
      <select name="item" required value=${itemId} onChange=${(e: Event) => setItemId((e.target as HTMLSelectElement).value)}>
        <option value="">${t('ptsChoose')}</option>
        ${items.map((i) => html`<option value=${i.id}>${t('ptsDeductOption', { name: i.name, n: i.points })}</option>`)}
      </select>
    </label>
    <label class="field">
      <span>${t('ptsDeductReason')}</span>
      <textarea
        name="reason"
        required
        minlength=${REASON_MIN}
        maxlength="500"
        rows="2"
        value=${reason}
        onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}
      ></textarea>
    </label>
    ${action.error ? html`<p class="form-error" role="alert">${pointsErrorText(action.error, t)}</p>` : null}
    ${done ? html`<p class="notice-ok" role="status" data-testid="deduction-done">${done}</p>` : null}
    <div class="form-buttons">
      <button type="submit" class="danger-solid" data-testid="deduction-submit" disabled=${!ok || action.busy}>
        ${action.busy ? t('ptsWorking') : t('ptsDeduct')}
      </button>
    </div>
  </form>`;
}
