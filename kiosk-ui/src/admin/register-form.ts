import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { DeviceCreated, DeviceType, Transport } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { useI18n } from '../i18n-context';
import { CredentialNotice } from './credential-notice';
import { errorText } from './error-text';

const TYPES: DeviceType[] = [
  'qr-scanner',
  'card-reader',
  'help-button',
  'help-panel',
  'bank-terminal',
  'gsm-modem',
  'kiosk',
];

/** DESIGN.md: a device id goes into MQTT topics. The escaped `-` keeps the pattern valid under the `v` flag. */
const ID_PATTERN = '[A-Za-z0-9._\\-]{1,64}';
const DATA_BITS: [string, string][] = ['8', '7', '6', '5'].map((n) => [n, n]);
const STOP_BITS: [string, string][] = ['1', '1.5', '2'].map((n) => [n, n]);
const UID_FORMATS: [string, string][] = [
  ['', '—'],
  ['hex', 'hex'],
  ['decimal', 'decimal'],
];

function transportsFor(type: DeviceType): Transport[] {
  if (type === 'kiosk') return ['http'];
  if (type === 'card-reader') return ['pcsc', 'serial', 'mqtt'];
  return ['mqtt', 'serial'];
}

type TextField =
  | 'id'
  | 'name'
  | 'path'
  | 'baudRate'
  | 'dataBits'
  | 'parity'
  | 'stopBits'
  | 'reader'
  | 'uidFormat'
  | 'encoding'
  | 'assignedTo';
type Form = Record<TextField, string> & { type: DeviceType; transport: Transport };

const EMPTY: Form = {
  id: '',
  name: '',
  type: 'qr-scanner',
  transport: 'mqtt',
  path: '',
  baudRate: '',
  dataBits: '',
  parity: '',
  stopBits: '',
  reader: '',
  uidFormat: '',
  encoding: '',
  assignedTo: '',
};

/** The `POST /api/devices` body: only the fields that apply, optional ones only when given. */
function requestBody(f: Form): Record<string, unknown> {
  const body: Record<string, unknown> = { id: f.id.trim(), type: f.type, transport: f.transport };
  if (f.name.trim()) body.name = f.name.trim();
  if (f.transport === 'serial') {
    body.path = f.path.trim();
    body.baudRate = Number(f.baudRate);
    if (f.dataBits) body.dataBits = Number(f.dataBits);
    if (f.parity) body.parity = f.parity;
    if (f.stopBits) body.stopBits = Number(f.stopBits);
    if (f.type === 'card-reader') body.uidFormat = f.uidFormat;
    if (f.type === 'qr-scanner' && f.encoding) body.encoding = f.encoding;
  }
  if (f.transport === 'pcsc' && f.reader.trim()) body.reader = f.reader.trim();
  if ((f.type === 'help-button' || f.type === 'help-panel') && f.assignedTo.trim())
    body.assignedTo = f.assignedTo.trim();
  return body;
}

export function RegisterForm({ onRegistered }: { onRegistered: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<Form>(EMPTY);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<DeviceCreated | null>(null);

  const set = (key: keyof Form) => (e: Event) => {
    const value = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    setForm((f) => {
      const next = { ...f, [key]: value };
      const allowed = transportsFor(next.type);
      if (!allowed.includes(next.transport)) next.transport = allowed[0] ?? 'mqtt';
      return next;
    });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const device = await api<DeviceCreated>('POST', '/api/devices', requestBody(form));
      setCreated(device);
      setForm(EMPTY);
      onRegistered();
    } catch (err) {
      setError(err instanceof HttpError ? errorText(err, t) : String(err));
    } finally {
      setBusy(false);
    }
  };

  const text = (key: keyof Form, label: string, extra: Record<string, unknown> = {}) =>
    html`<label class="field"><span>${label}</span><input value=${form[key]} onInput=${set(key)} ...${extra} /></label>`;
  const choice = (key: keyof Form, label: string, options: [string, string][], required = false) =>
    html`<label class="field"><span>${label}</span>
      <select value=${form[key]} onChange=${set(key)} required=${required} name=${key}>
        ${options.map(([value, name]) => html`<option value=${value}>${name}</option>`)}
      </select></label>`;
  const dflt = (v: string): [string, string] => ['', t('optDefault', { v })];
  const { type, transport } = form;
  const parities = (['none', 'even', 'odd', 'mark', 'space'] as const).map((p): [string, string] => [
    p,
    t(`parity_${p}`),
  ]);
  const fields = [
    text('id', t('fieldId'), { name: 'id', required: true, pattern: ID_PATTERN, title: t('fieldIdHint') }),
    choice(
      'type',
      t('fieldType'),
      TYPES.map((ty) => [ty, t(`type_${ty}`)]),
    ),
    choice(
      'transport',
      t('fieldTransport'),
      transportsFor(type).map((tr) => [tr, t(`transport_${tr}`)]),
    ),
    text('name', t('fieldName'), { name: 'name', maxLength: 100 }),
  ];
  if (transport === 'serial') {
    fields.push(
      text('path', t('fieldPath'), { name: 'path', required: true, placeholder: '/dev/ttyUSB0' }),
      text('baudRate', t('fieldBaudRate'), {
        name: 'baudRate',
        required: true,
        type: 'number',
        min: 50,
        list: 'baud-rates',
      }),
      choice('dataBits', t('fieldDataBits'), [dflt('8'), ...DATA_BITS]),
      choice('parity', t('fieldParity'), [dflt(t('parity_none')), ...parities]),
      choice('stopBits', t('fieldStopBits'), [dflt('1'), ...STOP_BITS]),
    );
    if (type === 'card-reader') fields.push(choice('uidFormat', t('fieldUidFormat'), UID_FORMATS, true));
    if (type === 'qr-scanner')
      fields.push(choice('encoding', t('fieldEncoding'), [dflt('UTF-8'), ['gbk', 'GBK']]));
  }
  if (transport === 'pcsc') fields.push(text('reader', t('fieldReader'), { name: 'reader' }));
  if (type === 'help-button' || type === 'help-panel')
    fields.push(text('assignedTo', t('fieldAssignedTo'), { name: 'assignedTo', required: true }));

  return html`<section class="panel register">
    <h2>${t('registerTitle')}</h2>
    ${created ? html`<${CredentialNotice} created=${created} onDismiss=${() => setCreated(null)} />` : null}
    <form class="register-form" data-testid="register-form" onSubmit=${submit} autocomplete="off">
      ${fields}
      <datalist id="baud-rates">
        ${[9600, 19200, 38400, 57600, 115200].map((b) => html`<option value=${b} />`)}
      </datalist>
      ${error ? html`<p class="form-error" role="alert" data-testid="register-error">${error}</p>` : null}
      <button type="submit" disabled=${busy}>${busy ? t('registering') : t('submitRegister')}</button>
    </form>
  </section>`;
}
