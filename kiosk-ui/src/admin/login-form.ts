import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { LoginResponse } from '../../../edge/api/types';
import { api, HttpError } from '../api';
import { LangToggle, useI18n } from '../i18n-context';
import { errorText } from './error-text';

export function LoginForm({ onLogin }: { onLogin: (res: LoginResponse) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api<LoginResponse>('POST', '/api/auth/login', { username, password });
      setPassword('');
      onLogin(res);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) setError(t('errWrongCredentials'));
      else setError(err instanceof HttpError ? errorText(err, t) : String(err));
    } finally {
      setBusy(false);
    }
  };

  return html`<main class="login">
    <form class="login-card" data-testid="login-form" onSubmit=${submit}>
      <div class="login-head">
        <h1>${t('adminTitle')}</h1>
        <${LangToggle} />
      </div>
      <label class="field">
        <span>${t('username')}</span>
        <input
          name="username"
          autocomplete="username"
          required
          value=${username}
          onInput=${(e: Event) => setUsername((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      <label class="field">
        <span>${t('password')}</span>
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value=${password}
          onInput=${(e: Event) => setPassword((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
      ${error ? html`<p class="form-error" role="alert" data-testid="login-error">${error}</p>` : null}
      <button type="submit" disabled=${busy}>${busy ? t('loggingIn') : t('login')}</button>
    </form>
  </main>`;
}
