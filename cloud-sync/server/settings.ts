/**
 * `linli-cloud`'s settings, from the environment only. A bad or missing value is a
 * {@link ConfigError}: the process prints it on one line and exits 78 (EX_CONFIG), as the edge does.
 * The cloud key file is created (mode 0600) when absent, like the edge's data key.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export const EX_CONFIG = 78;

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface CloudSettings {
  port: number;
  bind: string;
  /** PostgreSQL when set; PGlite in `dataDir` otherwise. */
  databaseUrl: string | undefined;
  dataDir: string;
  keyFile: string;
  adminPassword: string;
  logLevel: string;
  /** Failed logins allowed per client address per minute. */
  loginMaxPerMinute: number;
  /** The load balancers trusted for X-Forwarded-For/-Proto (addresses or CIDRs); none when empty. */
  trustProxy: string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads the settings; never echoes the admin password or the database URL (it may hold a password). */
export function loadCloudSettings(env: NodeJS.ProcessEnv): CloudSettings {
  const text = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const portText = text('LINLI_CLOUD_PORT') ?? '8090';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new ConfigError('LINLI_CLOUD_PORT', 'must be a port number 0–65535');
  }
  const adminPassword = text('LINLI_CLOUD_ADMIN_PASSWORD');
  if (adminPassword === undefined) {
    throw new ConfigError(
      'LINLI_CLOUD_ADMIN_PASSWORD',
      'required: the password of the first cloud admin (user admin)',
    );
  }
  if (adminPassword.length < 12) {
    throw new ConfigError('LINLI_CLOUD_ADMIN_PASSWORD', 'must be at least 12 characters');
  }
  const databaseUrl = text('DATABASE_URL');
  if (databaseUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(databaseUrl);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')) {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
    }
  }
  const logLevel = text('LINLI_CLOUD_LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LINLI_CLOUD_LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const loginText = text('LINLI_CLOUD_LOGIN_MAX_PER_MIN') ?? '10';
  if (!/^\d{1,5}$/.test(loginText) || Number(loginText) < 1 || Number(loginText) > 10000) {
    throw new ConfigError('LINLI_CLOUD_LOGIN_MAX_PER_MIN', 'must be a number 1–10000');
  }
  const trustProxy = (text('LINLI_CLOUD_TRUST_PROXY') ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  for (const a of trustProxy) {
    if (!/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/.test(a)) {
      throw new ConfigError('LINLI_CLOUD_TRUST_PROXY', 'must be addresses or CIDRs, comma-separated');
    }
  }
  return {
    port: Number(portText),
    bind: text('LINLI_CLOUD_BIND') ?? '0.0.0.0',
    databaseUrl,
    dataDir: resolve(text('LINLI_CLOUD_DATA_DIR') ?? './cloud-data'),
    keyFile: resolve(text('LINLI_CLOUD_KEY_FILE') ?? './cloud.key'),
    adminPassword,
    logLevel,
    loginMaxPerMinute: Number(loginText),
    trustProxy,
  };
}

/**
 * Loads the 32-byte cloud key (base64 in the key file), creating it with mode 0600 when absent.
 * A file readable by others, or one that is not 32 bytes of base64, is a configuration error.
 */
export async function loadOrCreateCloudKey(path: string): Promise<{ key: Buffer; created: boolean }> {
  const setting = 'LINLI_CLOUD_KEY_FILE';
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(setting, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code}`);
    }
    const key = randomBytes(32);
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (e) {
      throw new ConfigError(setting, `cannot create ${path}: ${(e as NodeJS.ErrnoException).code}`);
    }
    try {
      await fh.writeFile(`${key.toString('base64')}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { key, created: true };
  }
  const key = Buffer.from(content.trim(), 'base64');
  if (key.length !== 32) throw new ConfigError(setting, `${path} must hold 32 bytes in base64`);
  if (((await stat(path)).mode & 0o077) !== 0) {
    throw new ConfigError(setting, `${path} is readable by others: chmod 600 it`);
  }
  return { key, created: false };
}
