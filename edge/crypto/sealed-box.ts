import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Sensitive personal data at rest (health notes, ID numbers, badge tokens): AES-256-GCM with the
 * key of LINLI_KEY_FILE, a fresh 96-bit IV per value, the field's name as associated data (a
 * sealed value moved to another field does not open). Stored as `v1:<base64 iv|tag|ciphertext>`.
 */
export class SealedBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError('the data key must be 32 bytes');
  }

  seal(plaintext: string, field: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(field));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return `${VERSION}:${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64')}`;
  }

  /** Throws when the value was not sealed with this key for this field, or was altered. */
  open(sealed: string, field: string): string {
    const [version, b64] = sealed.split(':');
    if (version !== VERSION || !b64) throw new Error('not a sealed value');
    const raw = Buffer.from(b64, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    d.setAAD(Buffer.from(field));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }
}
