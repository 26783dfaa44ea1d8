import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { EDGE_KEYS, type KeyDef } from './config-keys.js';

/** The edge's configuration, validated once at start and frozen. */
export interface EdgeConfig {
  houseId: string;
  dataDir: string;
  keyFile: string;
  bind: string;
  httpPort: number;
  mqttPort: number;
  tlsCert?: string;
  tlsKey?: string;
  mqttsPort: number;
  tz: string;
  adminPassword?: string;
  cloudUrl?: string;
  houseSecret?: string;
  configSyncMs: number;
  configBackoffMs: number;
  configBackoffMaxMs: number;
  configTimeoutMs: number;
  publicUrl?: string;
  demo: boolean;
  logLevel: string;
  mqttMaxPayload: number;
  heartbeatMisses: number;
  heartbeatScaleMs: number;
  serialBackoffMs: number;
  serialBackoffMaxMs: number;
  cardCooldownMs: number;
  ecrAckTimeoutMs: number;
  ecrResultTimeoutMs: number;
  ecrQueryTimeoutMs: number;
  paymentQueryBackoffMs: number;
  paymentQueryBackoffMaxMs: number;
  accountTapTimeoutMs: number;
  /** `HH:MM` house time, or '' (never). */
  settleAt: string;
  pcscHeartbeatMs: number;
  deviceCountersMs: number;
  alarmEscalateMs: number;
  alarmDedupeMs: number;
  notifyRetryMs: number;
  helpTestDays: number;
  pointsCatalogue?: string;
  syncIdleMs: number;
  syncBackoffMs: number;
  syncBackoffMaxMs: number;
  syncTimeoutMs: number;
  syncBatch: number;
  retentionDays: number;
  retentionCheckMs: number;
  diskMinFreeMb: number;
  journalSegmentKb: number;
  sseKeepaliveMs: number;
  sseReplay: number;
  loginMaxPerMinute: number;
  sessionHours: number;
}

/** A bad configuration value: the process prints `message` on one line and exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

export const EX_CONFIG = 78;

/** Shows a bad value without echoing secrets or a whole essay back. */
function shown(def: KeyDef, text: string): string {
  if (/PASSWORD|SECRET/.test(def.env)) return '(hidden)';
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function parseValue(def: KeyDef, text: string): string | number | boolean {
  const k = def.kind;
  switch (k.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(text.trim()))
        throw new ConfigError(def.env, `must be a whole number, got ${shown(def, text)}`);
      const n = Number(text.trim());
      if (n < k.min || n > k.max)
        throw new ConfigError(def.env, `must be between ${k.min} and ${k.max}, got ${n}`);
      return n;
    }
    case 'enum':
      if (!k.values.includes(text)) {
        throw new ConfigError(def.env, `must be one of ${k.values.join(', ')}, got ${shown(def, text)}`);
      }
      return text;
    case 'bool01':
      if (text !== '0' && text !== '1' && text !== '') {
        throw new ConfigError(def.env, `must be 1 or 0, got ${shown(def, text)}`);
      }
      return text === '1';
    case 'url': {
      let u: URL;
      try {
        u = new URL(text);
      } catch {
        throw new ConfigError(def.env, `must be an absolute http(s) URL, got ${shown(def, text)}`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        throw new ConfigError(def.env, `must be an http or https URL, got ${shown(def, text)}`);
      }
      return text.replace(/\/+$/, '');
    }
    case 'string':
      if (text.length === 0 && k.pattern?.test('')) return text;
      if (text.length === 0) throw new ConfigError(def.env, 'must not be empty');
      if (k.pattern && !k.pattern.test(text)) {
        throw new ConfigError(
          def.env,
          `must match ${k.patternText ?? k.pattern.source}, got ${shown(def, text)}`,
        );
      }
      return text;
  }
}

function readConfigFile(path: string): Record<string, string | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'LINLI_CONFIG',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError('LINLI_CONFIG', `${path} is not valid JSON`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError('LINLI_CONFIG', `${path} must hold a JSON object of settings`);
  }
  const known = new Set(EDGE_KEYS.map((d) => d.env));
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(json)) {
    if (!known.has(key)) throw new ConfigError(key, `unknown setting in ${path}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError(key, `must be a string, number or boolean in ${path}`);
    }
    out[key] = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  return out;
}

/**
 * Reads the configuration from the environment and the optional JSON file named by LINLI_CONFIG
 * (env wins), validates every value once and returns it frozen. Throws ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<EdgeConfig> {
  const fromFile = env.LINLI_CONFIG ? readConfigFile(env.LINLI_CONFIG) : {};
  const raw: Record<string, string | undefined> = { ...fromFile };
  for (const def of EDGE_KEYS) {
    const v = env[def.env];
    if (v !== undefined && v !== '') raw[def.env] = v;
    // An empty daily settlement time means "never", not "the default".
    else if (v === '' && def.env === 'LINLI_SETTLE_AT') raw[def.env] = v;
  }
  const out: Record<string, unknown> = {};
  for (const def of EDGE_KEYS) {
    let text = raw[def.env];
    if (text === undefined) text = typeof def.def === 'function' ? def.def(raw) : def.def;
    if (text === undefined) continue;
    out[def.field] = parseValue(def, text);
  }
  const cfg = out as unknown as EdgeConfig;
  if (Boolean(cfg.tlsCert) !== Boolean(cfg.tlsKey)) {
    throw new ConfigError(
      cfg.tlsCert ? 'LINLI_TLS_KEY' : 'LINLI_TLS_CERT',
      'TLS needs both LINLI_TLS_CERT and LINLI_TLS_KEY',
    );
  }
  if (cfg.serialBackoffMaxMs < cfg.serialBackoffMs) {
    throw new ConfigError('LINLI_SERIAL_BACKOFF_MAX_MS', 'must not be below LINLI_SERIAL_BACKOFF_MS');
  }
  if (cfg.paymentQueryBackoffMaxMs < cfg.paymentQueryBackoffMs) {
    throw new ConfigError(
      'LINLI_PAYMENT_QUERY_BACKOFF_MAX_MS',
      'must not be below LINLI_PAYMENT_QUERY_BACKOFF_MS',
    );
  }
  if (Boolean(cfg.cloudUrl) !== Boolean(cfg.houseSecret)) {
    throw new ConfigError(
      cfg.cloudUrl ? 'LINLI_HOUSE_SECRET' : 'LINLI_CLOUD_URL',
      'sync needs both LINLI_CLOUD_URL and LINLI_HOUSE_SECRET',
    );
  }
  const dataDir = resolve(cfg.dataDir);
  const keyFile = resolve(cfg.keyFile);
  const rel = relative(dataDir, keyFile);
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    throw new ConfigError(
      'LINLI_KEY_FILE',
      'must not be inside LINLI_DATA_DIR (a copied data dir must not carry its key)',
    );
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: cfg.tz });
  } catch {
    throw new ConfigError('LINLI_TZ', `unknown time zone ${JSON.stringify(cfg.tz)}`);
  }
  return Object.freeze({ ...cfg, dataDir, keyFile });
}
