import type { HttpError } from '../api';
import type { Translate } from '../i18n';

/** A failed call in words for the admin: the known statuses translated, the rest with the server's message. */
export function errorText(err: HttpError, t: Translate): string {
  if (err.status === 0) return t('errNetwork');
  if (err.status === 403) return t('errForbidden');
  if (err.status === 429) return t('errTooMany');
  return t('errGeneric', { msg: err.body.message });
}
