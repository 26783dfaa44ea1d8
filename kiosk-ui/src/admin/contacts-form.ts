import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ContactNumber, PublicContacts } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { errorText } from './error-text';

/** The API takes `+?[0-9-]{3,20}`; spaces typed for readability are dropped before sending. */
const PHONE_PATTERN = '\\+?[0-9 \\-]{3,24}';

interface Form {
  communityName: string;
  communityPhone: string;
  policeName: string;
  policePhone: string;
}

function formOf(c: PublicContacts): Form {
  return {
    communityName: c.community?.name ?? '',
    communityPhone: c.community?.phone ?? '',
    policeName: c.police?.name ?? '',
    policePhone: c.police?.phone ?? '',
  };
}

/** A number without a phone is left out (the badge then reads "not set"). */
function numberOf(name: string, phone: string): ContactNumber | undefined {
  const p = phone.replace(/\s/g, '');
  return p ? { name: name.trim(), phone: p } : undefined;
}

/** The community's and the police's numbers every badge and its scan page show (admin). */
export function ContactsForm({
  contacts,
  onSaved,
}: {
  contacts: PublicContacts;
  onSaved: (c: PublicContacts) => void;
}) {
  const { t } = useI18n();
  const [form, setForm] = useState<Form>(() => formOf(contacts));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const set = (key: keyof Form) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement).value;
    setForm((f) => ({ ...f, [key]: value }));
    setMessage(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    const community = numberOf(form.communityName, form.communityPhone);
    const police = numberOf(form.policeName, form.policePhone);
    try {
      const saved = await api<PublicContacts>('PUT', '/api/settings/contacts', {
        ...(community ? { community } : {}),
        ...(police ? { police } : {}),
      });
      setForm(formOf(saved));
      setMessage({ ok: true, text: t('contactsSaved') });
      onSaved(saved);
    } catch (err) {
      setMessage({ ok: false, text: err instanceof HttpError ? errorText(err, t) : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const input = (key: keyof Form, label: string, phone: boolean) =>
    html`<label class="field"><span>${label}</span>
      <input
        name=${key}
        value=${form[key]}
        onInput=${set(key)}
        ...${phone ? { type: 'tel', pattern: PHONE_PATTERN, title: t('phoneHint') } : { maxLength: 64 }}
      />
    </label>`;

  return html`<form class="contacts-form" data-testid="contacts-form" onSubmit=${submit} autocomplete="off">
    <h3>${t('publicContactsTitle')}</h3>
    <p class="hint">${t('publicContactsHint')}</p>
    <div class="contacts-grid">
      ${input('communityName', t('communityName'), false)}
      ${input('communityPhone', t('communityPhone'), true)}
      ${input('policeName', t('policeName'), false)}
      ${input('policePhone', t('policePhone'), true)}
    </div>
    <div class="form-buttons">
      <button type="submit" data-testid="contacts-save" disabled=${busy}>${t('contactsSave')}</button>
      ${message ? html`<span class=${message.ok ? 'notice-ok' : 'form-error'} role="status" data-testid="contacts-message">${message.text}</span>` : null}
    </div>
  </form>`;
}
