import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { EmergencyContact, ResidentInput, ResidentView } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { errorText } from './error-text';
import { idNumberProblem, normalizeIdNumber } from './id-number-check';

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
  community: string;
  building: string;
  unit: string;
  room: string;
  phone: string;
  branch: string;
  /** A new ID number; empty keeps the one on file (editing). */
  idNumber: string;
  clearIdNumber: boolean;
  elder: boolean;
  party: boolean;
  healthNotes: string;
  contacts: ContactRow[];
}
type TextField = Exclude<keyof Form, 'contacts' | 'clearIdNumber' | 'elder' | 'party'>;
type Flag = 'clearIdNumber' | 'elder' | 'party';
const HOME = ['community', 'building', 'unit', 'room'] as const;
/** The roles the form offers; others a resident has (from an import) are kept as they are. */
const FORM_ROLES = ['elder', 'party-member'];

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
    community: r?.community ?? '',
    building: r?.building ?? '',
    unit: r?.unit ?? '',
    room: r?.room ?? '',
    phone: r?.phone ?? '',
    branch: r?.branch ?? '',
    idNumber: '',
    clearIdNumber: false,
    // A new resident is registered as an elder unless unticked (this section began with elders).
    elder: r ? r.roles.includes('elder') : true,
    party: r ? r.roles.includes('party-member') : false,
    healthNotes: r?.healthNotes ?? '',
    contacts: r ? r.emergencyContacts.map(row) : [row()],
  };
}

function rolesOf(f: Form, before: string[] = []): string[] {
  return [
    ...before.filter((x) => !FORM_ROLES.includes(x)),
    ...(f.elder ? ['elder'] : []),
    ...(f.party ? ['party-member'] : []),
  ];
}

function contactsOf(rows: ContactRow[]): EmergencyContact[] {
  return rows.map((c) => ({
    name: c.name.trim(),
    phone: phoneOf(c.phone),
    ...(c.relation.trim() ? { relation: c.relation.trim() } : {}),
  }));
}

/** `POST /api/residents` body: empty optional fields left out (the edge then makes the address). */
function createBody(f: Form): ResidentInput {
  const notes = f.healthNotes.trim();
  const idNumber = normalizeIdNumber(f.idNumber);
  const home = Object.fromEntries(HOME.filter((k) => f[k].trim()).map((k) => [k, f[k].trim()]));
  return {
    id: f.id.trim(),
    name: f.name.trim(),
    roles: rolesOf(f),
    emergencyContacts: contactsOf(f.contacts),
    ...home,
    ...(f.address.trim() ? { address: f.address.trim() } : {}),
    ...(phoneOf(f.phone) ? { phone: phoneOf(f.phone) } : {}),
    ...(f.branch.trim() ? { branch: f.branch.trim() } : {}),
    ...(idNumber ? { idNumber } : {}),
    ...(notes ? { healthNotes: notes } : {}),
  };
}

/**
 * `PATCH` body: the profile as edited. The address only when edited by hand (else the edge keeps
 * it following the home parts), the notes only when changed (`''` deletes them), the ID number
 * only when a new one is typed or deletion is ticked.
 */
function patchBody(f: Form, before: ResidentView): Partial<ResidentInput> {
  const notes = f.healthNotes.trim();
  const idNumber = normalizeIdNumber(f.idNumber);
  const changed = (k: 'address' | 'branch' | (typeof HOME)[number]) =>
    f[k].trim() !== (before[k] ?? '') ? { [k]: f[k].trim() } : {};
  return {
    name: f.name.trim(),
    ...HOME.reduce((acc, k) => Object.assign(acc, changed(k)), {}),
    ...changed('address'),
    ...changed('branch'),
    roles: rolesOf(f, before.roles),
    emergencyContacts: contactsOf(f.contacts),
    ...(phoneOf(f.phone) !== (before.phone ?? '') ? { phone: phoneOf(f.phone) } : {}),
    ...(idNumber ? { idNumber } : f.clearIdNumber ? { idNumber: '' } : {}),
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
  const flag = (key: Flag) => (e: Event) => {
    const checked = (e.currentTarget as HTMLInputElement).checked;
    setForm((f) => ({ ...f, [key]: checked }));
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
    const idNumber = normalizeIdNumber(form.idNumber);
    const bad = idNumber ? idNumberProblem(idNumber) : undefined;
    if (bad) {
      setError(t(bad));
      return;
    }
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
      else if (err.body.code === 'ID_NUMBER_TAKEN') setError(t('idNumberTaken'));
      else if (err.body.code === 'ID_NUMBER_INVALID') setError(t('idNumberInvalid'));
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
      ${text('phone', t('elderPhone'), { type: 'tel', pattern: PHONE_PATTERN, title: t('phoneHint') })}
    </div>
    <fieldset class="elder-home">
      <legend>${t('residentTitleFields')}</legend>
      <div class="elder-fields home-fields">
        ${text('community', t('elderCommunity'), { maxLength: 64 })}
        ${text('building', t('elderBuilding'), { maxLength: 32 })}
        ${text('unit', t('elderUnit'), { maxLength: 32 })}
        ${text('room', t('elderRoom'), { maxLength: 32 })}
      </div>
      ${text('address', t('elderAddressAuto'), { maxLength: 200 })}
      <div class="role-checks" data-testid="elder-roles">
        <span class="role-checks-label">${t('rolesTitle')}</span>
        <label><input type="checkbox" name="role-elder" checked=${form.elder} onChange=${flag('elder')} /> ${t('roleElder')}</label>
        <label><input type="checkbox" name="role-party" checked=${form.party} onChange=${flag('party')} /> ${t('rolePartyMember')}</label>
      </div>
      ${text('branch', t('elderBranch'), { maxLength: 64 })}
      ${text('idNumber', t('idNumber'), {
        maxLength: 24,
        autocomplete: 'off',
        spellcheck: false,
        'data-testid': 'elder-idnumber-input',
        placeholder: resident?.idNumberMasked ? t('idNumberKeep', { masked: resident.idNumberMasked }) : '',
        disabled: form.clearIdNumber,
      })}
      ${
        resident?.idNumberMasked
          ? html`<label class="check-line"><input type="checkbox" name="clearIdNumber" checked=${form.clearIdNumber} onChange=${flag('clearIdNumber')} /> ${t('idNumberClear')}</label>`
          : null
      }
      <p class="sensitive" data-testid="idnumber-sensitive"><strong>${t('sensitiveTag')}</strong> ${t('idNumberSensitive')}</p>
    </fieldset>
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
