import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { EmergencyContact, ResidentInput, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { errorText } from './error-text';

/** DESIGN.md: ids are letters, digits, . _ - (the escaped `-` keeps the pattern valid under the `v` flag). */
const ID_PATTERN = '[A-Za-z0-9._\\-]{1,64}';
/** The API takes `+?[0-9-]{3,20}`; spaces typed for readability are dropped before sending. */
const PHONE_PATTERN = '\\+?[0-9 \\-]{3,24}';

interface ContactRow {
  key: number;
  name: string;
  relation: string;
  phone: string;
}
type ContactField = Exclude<keyof ContactRow, 'key'>;

interface Form {
  id: string;
  name: string;
  address: string;
  phone: string;
  healthNotes: string;
  contacts: ContactRow[];
}
type TextField = Exclude<keyof Form, 'contacts'>;

let nextKey = 1;
const row = (c?: EmergencyContact): ContactRow => ({
  key: nextKey++,
  name: c?.name ?? '',
  relation: c?.relation ?? '',
  phone: c?.phone ?? '',
});
const phoneOf = (s: string) => s.replace(/\s/g, '');

function formOf(r?: ResidentView): Form {
  return {
    id: r?.id ?? '',
    name: r?.name ?? '',
    address: r?.address ?? '',
    phone: r?.phone ?? '',
    healthNotes: r?.healthNotes ?? '',
    contacts: r ? r.emergencyContacts.map(row) : [row()],
  };
}

function contactsOf(rows: ContactRow[]): EmergencyContact[] {
  return rows.map((c) => ({
    name: c.name.trim(),
    phone: phoneOf(c.phone),
    ...(c.relation.trim() ? { relation: c.relation.trim() } : {}),
  }));
}

/** `POST /api/residents` body: a new resident with the role `elder`, empty optional fields left out. */
function createBody(f: Form): ResidentInput {
  const notes = f.healthNotes.trim();
  return {
    id: f.id.trim(),
    name: f.name.trim(),
    roles: ['elder'],
    emergencyContacts: contactsOf(f.contacts),
    ...(f.address.trim() ? { address: f.address.trim() } : {}),
    ...(phoneOf(f.phone) ? { phone: phoneOf(f.phone) } : {}),
    ...(notes ? { healthNotes: notes } : {}),
  };
}

/** `PATCH` body: the profile as edited; the notes only when changed ('' deletes them). */
function patchBody(f: Form, before: ResidentView): Partial<ResidentInput> {
  const notes = f.healthNotes.trim();
  return {
    name: f.name.trim(),
    address: f.address.trim(),
    emergencyContacts: contactsOf(f.contacts),
    ...(phoneOf(f.phone) ? { phone: phoneOf(f.phone) } : {}),
    ...(notes !== (before.healthNotes ?? '') ? { healthNotes: notes } : {}),
  };
}

/**
 * Registers an elder (no `resident`) or edits one (`resident` read with its notes). The health
 * notes are sensitive: the form says so, and they travel only to the API, which seals them.
 */
export function ElderForm({
  resident,
  onSaved,
  onCancel,
}: {
  resident?: ResidentView;
  onSaved: (r: ResidentView) => void;
  onCancel?: () => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<Form>(() => formOf(resident));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const editing = resident !== undefined;

  const set = (key: TextField) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;
    setForm((f) => ({ ...f, [key]: value }));
  };
  const setContact = (key: number, field: ContactField) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setForm((f) => ({
      ...f,
      contacts: f.contacts.map((c) => (c.key === key ? { ...c, [field]: value } : c)),
    }));
  };
  const addContact = () => setForm((f) => ({ ...f, contacts: [...f.contacts, row()] }));
  const removeContact = (key: number) =>
    setForm((f) => ({ ...f, contacts: f.contacts.filter((c) => c.key !== key) }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = resident
        ? await api<ResidentView>(
            'PATCH',
            `/api/residents/${encodeURIComponent(resident.id)}`,
            patchBody(form, resident),
          )
        : await api<ResidentView>('POST', '/api/residents', createBody(form));
      if (!resident) setForm(formOf());
      onSaved(saved);
    } catch (err) {
      if (!(err instanceof HttpError)) setError(String(err));
      else if (err.status === 409) setError(t('elderExists', { id: form.id.trim() }));
      else setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };

  const text = (key: TextField, label: string, extra: Record<string, unknown> = {}) =>
    html`<label class="field"><span>${label}</span><input name=${key} value=${form[key]} onInput=${set(key)} ...${extra} /></label>`;
  const contactInput = (c: ContactRow, i: number, field: ContactField, extra: Record<string, unknown>) =>
    html`<input
      name=${`contact-${field}-${i}`}
      value=${c[field]}
      onInput=${setContact(c.key, field)}
      ...${extra}
    />`;

  return html`<form class="elder-form" data-testid="elder-form" onSubmit=${submit} autocomplete="off">
    <h3>${editing ? t('elderEdit') : t('elderAdd')}</h3>
    <div class="elder-fields">
      ${editing ? null : text('id', t('elderId'), { required: true, pattern: ID_PATTERN, title: t('elderIdHint') })}
      ${text('name', t('elderName'), { required: true, maxLength: 64 })}
      ${text('address', t('elderAddress'), { maxLength: 200 })}
      ${text('phone', t('elderPhone'), { type: 'tel', pattern: PHONE_PATTERN, title: t('phoneHint') })}
    </div>
    <fieldset class="elder-contacts">
      <legend>${t('contactsTitle')}</legend>
      ${form.contacts.length === 0 ? html`<p class="empty">${t('contactsNone')}</p>` : null}
      ${form.contacts.map(
        (c, i) => html`<div class="contact-row" key=${c.key} data-testid=${`elder-contact-${i}`}>
          ${contactInput(c, i, 'name', { required: true, maxLength: 64, placeholder: t('contactName'), 'aria-label': t('contactName') })}
          ${contactInput(c, i, 'relation', { maxLength: 32, placeholder: t('contactRelation'), 'aria-label': t('contactRelation') })}
          ${contactInput(c, i, 'phone', {
            required: true,
            type: 'tel',
            pattern: PHONE_PATTERN,
            title: t('phoneHint'),
            placeholder: t('contactPhone'),
            'aria-label': t('contactPhone'),
          })}
          <button type="button" class="secondary" onClick=${() => removeContact(c.key)}>${t('contactRemove')}</button>
        </div>`,
      )}
      <button type="button" class="secondary" data-testid="elder-contact-add" onClick=${addContact}>
        ${t('contactAdd')}
      </button>
    </fieldset>
    <label class="field notes-field">
      <span>${t('healthNotes')}</span>
      <textarea
        name="healthNotes"
        data-testid="elder-notes-input"
        rows="4"
        maxLength="4000"
        value=${form.healthNotes}
        onInput=${set('healthNotes')}
      ></textarea>
    </label>
    <p class="sensitive" data-testid="notes-sensitive">
      <strong>${t('sensitiveTag')}</strong> ${t('healthNotesSensitive')} ${editing ? t('healthNotesClear') : ''}
    </p>
    ${error ? html`<p class="form-error" role="alert" data-testid="elder-error">${error}</p>` : null}
    <div class="form-buttons">
      <button type="submit" data-testid="elder-save" disabled=${busy}>
        ${busy ? t('elderSaving') : editing ? t('elderSaveEdit') : t('elderSave')}
      </button>
      ${onCancel ? html`<button type="button" class="secondary" onClick=${onCancel}>${t('cancel')}</button>` : null}
    </div>
  </form>`;
}
