import { randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { ConfigError } from '../config/config.js';

/**
 * Loads the 32-byte key for sensitive data at rest (base64 in LINLI_KEY_FILE). When the file
 * is absent it is created with mode 0600 and `created` is true, so the caller can warn. A file
 * readable by others, or one that is not 32 bytes of base64, is a configuration error.
 */
export async function loadOrCreateKey(path: string): Promise<{ key: Buffer; created: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError('LINLI_KEY_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
    const key = randomBytes(32);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (e) {
      throw new ConfigError('LINLI_KEY_FILE', `cannot create ${path}: ${(e as NodeJS.ErrnoException).code}`);
    }
    try {
      await fh.writeFile(`${key.toString('base64')}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { key, created: true };
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new ConfigError('LINLI_KEY_FILE', `${path} must hold 32 bytes in base64`);
  const mode = (await stat(path)).mode & 0o077;
  if (mode !== 0) throw new ConfigError('LINLI_KEY_FILE', `${path} is readable by others: chmod 600 it`);
  return { key, created: false };
}
