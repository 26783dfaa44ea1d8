import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import type { DeviceCreated } from '../../../edge/api/types';
import { useI18n } from '../i18n-context';

/** The kiosk's pairing link for a freshly registered kiosk device. */
export function kioskLink(token: string): string {
  return `${location.origin}/kiosk/#token=${encodeURIComponent(token)}`;
}

async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API outside a secure context (plain http on the LAN): select and copy instead.
    input?.select();
    return document.execCommand('copy');
  }
}

/** The one-time credential of a new device: an MQTT password or a kiosk pairing link. */
export function CredentialNotice({ created, onDismiss }: { created: DeviceCreated; onDismiss: () => void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const secret = created.token ? kioskLink(created.token) : created.password;
  const copy = () => {
    if (secret) void copyText(secret, input.current).then(setCopied);
  };
  return html`<div class="notice" data-testid="credential" role="alert">
    <p class="notice-ok">${t('registered', { id: created.id })}</p>
    ${
      secret
        ? html`<label class="field">
            <span>${created.token ? t('kioskLink') : t('mqttPassword')}</span>
            <div class="copy-row">
              <input
                ref=${input}
                readonly
                value=${secret}
                data-testid=${created.token ? 'kiosk-link' : 'device-password'}
                onFocus=${(e: FocusEvent) => (e.currentTarget as HTMLInputElement).select()}
              />
              <button type="button" onClick=${copy}>${copied ? t('copied') : t('copy')}</button>
            </div>
          </label>
          <p class="notice-warn">${t('shownOnce')}</p>`
        : null
    }
    <button type="button" class="secondary" onClick=${onDismiss}>${t('dismiss')}</button>
  </div>`;
}
