import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { LoginResponse, MeResponse } from '../../../edge/api/types';
import { api, type HttpError, statusOf } from '../api';
import { I18nContext, LangToggle, useI18n, useLangState } from '../i18n-context';
import { Dashboard } from './dashboard';
import { errorText } from './error-text';
import { LoginForm } from './login-form';

type Auth =
  | { state: 'checking' }
  | { state: 'out' }
  | { state: 'in'; me: MeResponse }
  | { state: 'error'; err: HttpError };

function Admin() {
  const { t } = useI18n();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  const check = useCallback(async () => {
    setAuth({ state: 'checking' });
    try {
      setAuth({ state: 'in', me: await api<MeResponse>('GET', '/api/auth/me') });
    } catch (err) {
      if (statusOf(err) === 401) setAuth({ state: 'out' });
      else setAuth({ state: 'error', err: err as HttpError });
    }
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  const onLogin = useCallback((res: LoginResponse) => setAuth({ state: 'in', me: res.user }), []);
  const onAuthLost = useCallback(() => setAuth({ state: 'out' }), []);
  const logout = async () => {
    try {
      await api<unknown>('POST', '/api/auth/logout');
    } catch {
      // Logged out locally either way; an expired session is already gone on the server.
    }
    setAuth({ state: 'out' });
  };

  if (auth.state === 'checking') return html`<p class="empty page-msg">${t('loading')}</p>`;
  if (auth.state === 'out') return html`<${LoginForm} onLogin=${onLogin} />`;
  if (auth.state === 'error')
    return html`<div class="page-msg">
      <p class="form-error" role="alert">${errorText(auth.err, t)}</p>
      <button type="button" onClick=${() => void check()}>${t('retry')}</button>
    </div>`;

  const { me } = auth;
  return html`<div class="admin">
    <header class="admin-bar">
      <h1><span class="brand">${t('appName')}</span> ${t('adminTitle')}</h1>
      <div class="admin-bar-right">
        <span class="user" data-testid="current-user">${t('loggedInAs', { user: me.username, role: t(`role_${me.role}`) })}</span>
        <${LangToggle} />
        <button type="button" class="secondary" data-testid="logout" onClick=${() => void logout()}>${t('logout')}</button>
      </div>
    </header>
    <${Dashboard} me=${me} onAuthLost=${onAuthLost} />
  </div>`;
}

export function AdminApp() {
  const i18n = useLangState('adminTitle');
  return html`<${I18nContext.Provider} value=${i18n}><${Admin} /></${I18nContext.Provider}>`;
}
