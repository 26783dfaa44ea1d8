import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * House secrets at rest: AES-256-GCM under the 32-byte cloud key, a fresh 96-bit IV each time, and
 * a context string (the house id) as associated data, so a sealed secret copied onto another house
 * does not open. Stored as `v1:<base64 iv|tag|ciphertext>`.
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  checkKey(key);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `${VERSION}:${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64')}`;
}

/** Opens what `seal` made; throws on another key, another context or any tampering. */
export function open(key: Buffer, sealed: string, context: string): string {
  checkKey(key);
  const [v, b64] = sealed.split(':');
  if (v !== VERSION || !b64) throw new Error('not a sealed value');
  const raw = Buffer.from(b64, 'base64');
  if (raw.length < 28) throw new Error('sealed value too short');
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAAD(Buffer.from(context, 'utf8'));
  d.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
}

function checkKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new RangeError('the cloud key must be 32 bytes');
}
