/**
 * What the cloud's admin API adds to a `user` or `device` entity before it is stored: a user's
 * password becomes its scrypt hash; an MQTT device gets a generated password and a kiosk a token
 * (shown once), stored as a scrypt hash and a SHA-256 digest, exactly as the edge does
 * (edge/devices/device-registry.ts), so the edge can check them after the downlink.
 */
import type { DeviceData } from '../protocol/config.js';
import { hashPassword, randomSecret, tokenDigest } from '../protocol/password-hash.js';

/** Device ids go into MQTT topics on the edge: narrower than an entity id (no `:`). */
export const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Which transports each device type can use (as on the edge). */
export const DEVICE_TRANSPORTS: Record<DeviceData['type'], readonly DeviceData['transport'][]> = {
  'qr-scanner': ['serial', 'mqtt'],
  'card-reader': ['pcsc', 'serial', 'mqtt'],
  'help-button': ['mqtt'],
  'help-panel': ['serial'],
  'bank-terminal': ['serial'],
  'gsm-modem': ['serial'],
  kiosk: ['http'],
};

/** A credential made for a device, shown once in the answer. */
export interface DeviceCredential {
  kind: 'device';
  id: string;
  password?: string;
  token?: string;
}

/**
 * Why a device the admin API is about to store would be refused by the edge, or undefined (the
 * rules of DESIGN.md "Devices" that a schema cannot say). Never quotes a value.
 */
export function deviceProblem(id: string, d: Partial<DeviceData>): string | undefined {
  if (!DEVICE_ID.test(id)) return 'a device id is [A-Za-z0-9._-]{1,64}';
  if (d.type === undefined || d.transport === undefined) return undefined; // the schema says it
  const allowed: readonly string[] = DEVICE_TRANSPORTS[d.type] ?? [];
  if (!allowed.includes(d.transport)) return `a ${d.type} uses transport ${allowed.join(' or ')}`;
  if ((d.type === 'help-button' || d.type === 'help-panel') && !d.assignedTo) {
    return 'a help device needs assignedTo (the elder or the place it serves)';
  }
  if (d.transport === 'serial') {
    if (!d.path) return 'a serial device needs path';
    if (!d.baudRate) return 'a serial device needs baudRate';
    if (d.type === 'card-reader' && !d.uidFormat) return 'a serial card reader needs uidFormat';
  } else {
    for (const k of ['path', 'baudRate', 'dataBits', 'parity', 'stopBits'] as const) {
      if (d[k] !== undefined) return `${k} is only for serial devices`;
    }
  }
  return undefined;
}

/**
 * The device's `secretHash` after a put: kept while the transport is unchanged (unless `rotate`),
 * made anew for an MQTT device or a kiosk otherwise (the credential returned once), none for the
 * others.
 */
export async function deviceSecret(
  id: string,
  next: Pick<DeviceData, 'transport'>,
  current: Partial<DeviceData> | undefined,
  rotate: boolean,
): Promise<{ secretHash?: string; credential?: DeviceCredential }> {
  if (next.transport !== 'mqtt' && next.transport !== 'http') return {};
  if (!rotate && current?.secretHash && current.transport === next.transport) {
    return { secretHash: current.secretHash };
  }
  if (next.transport === 'mqtt') {
    const password = randomSecret(18);
    return { secretHash: await hashPassword(password), credential: { kind: 'device', id, password } };
  }
  const token = `${id}.${randomSecret(24)}`;
  return { secretHash: tokenDigest(token), credential: { kind: 'device', id, token } };
}

/** A user's password rule (as on the edge). */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string' || password.length < 8 || password.length > 256) {
    return 'a password is 8–256 characters';
  }
  return undefined;
}
