import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { DeviceView } from '../../../edge/api/types';
import { api } from '../api';
import type { Translate } from '../i18n';
import { useI18n } from '../i18n-context';
import { pointsErrorText, useAction, usePoints } from './points-load';
import type { PointsCategory, PointsItem, SessionView } from './points-types';

const CATEGORIES: PointsCategory[] = ['study', 'practice', 'service'];

/** `主题党日（+2 分，每年最多 8 分）` */
export function itemLabel(i: PointsItem, t: Translate): string {
  const cap = i.cap ? t('ptsItemCap', { per: t(`ptsPer_${i.cap.per}`), max: i.cap.max }) : '';
  const pts = t('ptsPoints', { n: i.points > 0 ? `+${i.points}` : i.points });
  return t('ptsItemLabel', { name: i.name, pts, cap });
}

/**
 * Opening a session (staff): the item (by category, with its points and cap) and the card readers
 * whose swipes count; a reader already in an open session cannot be chosen.
 */
export function OpenSessionForm({
  readers,
  busy,
  onOpened,
}: {
  readers: DeviceView[];
  busy: Set<string>;
  onOpened: (s: SessionView) => void;
}) {
  const { t } = useI18n();
  const { scheme, onAuthLost } = usePoints();
  const [itemId, setItemId] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const action = useAction(onAuthLost);
  const free = readers.filter((r) => !busy.has(r.id));
  const picked = [...chosen].filter((id) => free.some((r) => r.id === id));

  const toggle = (id: string, on: boolean) =>
    setChosen((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const submit = async (e: Event) => {
    e.preventDefault();
    let opened: SessionView | undefined;
    const ok = await action.run(async () => {
      opened = await api<SessionView>('POST', '/api/points/sessions', { itemId, readers: picked });
    });
    if (ok && opened) {
      setItemId('');
      setChosen(new Set());
      onOpened(opened);
    }
  };

  return html`<form class="points-form" data-testid="session-form" onSubmit=${(e: Event) => void submit(e)}>
    <h4>${t('ptsSessionNew')}</h4>
    <label class="field">
      <span>${t('ptsSessionItem')}</span>
      <select name="item" required value=${itemId} onChange=${(e: Event) => setItemId((e.target as HTMLSelectElement).value)}>
        <option value="">${t('ptsChoose')}</option>
        ${CATEGORIES.map(
          (c) => html`<optgroup key=${c} label=${t(`ptsCat_${c}`)}>
            ${scheme.items.filter((i) => i.category === c).map((i) => html`<option value=${i.id}>${itemLabel(i, t)}</option>`)}
          </optgroup>`,
        )}
      </select>
    </label>
    <fieldset class="reader-choice">
      <legend>${t('ptsSessionReaders')}</legend>
      ${readers.length === 0 ? html`<p class="empty">${t('ptsNoReaders')}</p>` : null}
      ${readers.map((r) => {
        const inUse = busy.has(r.id);
        return html`<label key=${r.id} class=${inUse ? 'check disabled' : 'check'}>
          <input
            type="checkbox"
            name="reader"
            value=${r.id}
            data-testid=${`reader-${r.id}`}
            disabled=${inUse}
            checked=${!inUse && chosen.has(r.id)}
            onChange=${(e: Event) => toggle(r.id, (e.target as HTMLInputElement).checked)}
          />
          <code>${r.id}</code>${r.name ? ` ${r.name}` : ''}
          <span class=${r.online ? 'dot-on' : 'dot-off'}>${r.online ? t('online') : t('offline')}</span>
          ${inUse ? html`<span class="sub">${t('ptsReaderBusy')}</span>` : null}
        </label>`;
      })}
    </fieldset>
    ${action.error ? html`<p class="form-error" role="alert">${pointsErrorText(action.error, t)}</p>` : null}
    <div class="form-buttons">
      <button type="submit" data-testid="session-open" disabled=${action.busy || !itemId || picked.length === 0}>
        ${action.busy ? t('ptsWorking') : t('ptsSessionStart')}
      </button>
    </div>
  </form>`;
}
