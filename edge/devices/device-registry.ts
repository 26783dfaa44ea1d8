import { EventEmitter } from 'node:events';
import type { DeviceType, Transport } from '../api/types.js';
import { hashPassword, randomSecret, tokenDigest, verifyPassword } from '../auth/password-hash.js';
import { type TrackedEdit, trackEdit } from '../config-sync/track-edit.js';
import { LinliError } from '../errors.js';
import type { DeviceRow, EdgeState } from '../state/edge-state.js';
import type { StateStore } from '../store/state-store.js';

export const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Which transports each device type can use. */
export const TRANSPORTS: Record<DeviceType, readonly Transport[]> = {
  'qr-scanner': ['serial', 'mqtt'],
  'card-reader': ['pcsc', 'serial', 'mqtt'],
  'help-button': ['mqtt'],
  'help-panel': ['serial'],
  'bank-terminal': ['serial'],
  'gsm-modem': ['serial'],
  kiosk: ['http'],
};

export type NewDevice = Omit<DeviceRow, 'createdAt' | 'secretHash'>;

/** The answer to a registration: the stored row and, once, the credential. */
export interface Registered {
  device: DeviceRow;
  password?: string;
  token?: string;
  /** The config edit the cloud learns the device by. */
  tracked: TrackedEdit;
}

/**
 * Registered devices and their credentials, kept in the state store. Emits `added` and
 * `removed` so the driver manager and health monitor follow (also for devices the cloud adds,
 * changes or removes: {@link DeviceRegistry.followCloud}). Credentials are stored hashed: MQTT
 * passwords with scrypt, kiosk tokens (`<deviceId>.<random>`) as a SHA-256 digest.
 */
export class DeviceRegistry extends EventEmitter<{ added: [DeviceRow]; removed: [DeviceRow] }> {
  constructor(
    private readonly store: StateStore<EdgeState>,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  list(): readonly DeviceRow[] {
    return this.store.data.devices;
  }

  get(id: string): DeviceRow | undefined {
    return this.store.data.devices.find((d) => d.id === id);
  }

  async register(input: NewDevice, by = 'linli-edge'): Promise<Registered> {
    const d = normalise(input);
    if (this.get(d.id)) throw new LinliError('DEVICE_EXISTS', `device ${d.id} is already registered`);
    if (
      d.transport === 'serial' &&
      this.store.data.devices.some((x) => x.transport === 'serial' && x.path === d.path)
    ) {
      throw new LinliError('DEVICE_INVALID', `serial port ${d.path} is already used by another device`);
    }
    let password: string | undefined;
    let token: string | undefined;
    let secretHash: string | undefined;
    if (d.transport === 'mqtt') {
      password = randomSecret(18);
      secretHash = await hashPassword(password);
    } else if (d.transport === 'http') {
      token = `${d.id}.${randomSecret(24)}`;
      secretHash = tokenDigest(token);
    }
    const row: DeviceRow = {
      ...d,
      ...(secretHash ? { secretHash } : {}),
      createdAt: new Date(this.now()).toISOString(),
    };
    let tracked: TrackedEdit | undefined;
    await this.store.update((s) => {
      if (s.devices.some((x) => x.id === row.id))
        throw new LinliError('DEVICE_EXISTS', `device ${row.id} is already registered`);
      s.devices.push(row);
      tracked = trackEdit(s, 'device', row.id, 'put', by, row.createdAt);
    });
    this.emit('added', row);
    return {
      device: row,
      ...(password ? { password } : {}),
      ...(token ? { token } : {}),
      tracked: tracked as TrackedEdit,
    };
  }

  async remove(id: string, by = 'linli-edge'): Promise<TrackedEdit> {
    const row = this.get(id);
    if (!row) throw new LinliError('NOT_FOUND', `no device ${id}`);
    let tracked: TrackedEdit | undefined;
    await this.store.update((s) => {
      s.devices = s.devices.filter((x) => x.id !== id);
      tracked = trackEdit(s, 'device', id, 'delete', by, new Date(this.now()).toISOString());
    });
    this.emit('removed', row);
    return tracked as TrackedEdit;
  }

  /**
   * Devices the cloud added, changed or removed (already in the state): their drivers and health
   * follow. A changed device is removed and added again, so its driver restarts with the new settings.
   */
  followCloud(changes: readonly { before?: DeviceRow; after?: DeviceRow }[]): void {
    for (const c of changes) {
      if (c.before) this.emit('removed', c.before);
      if (c.after) this.emit('added', c.after);
    }
  }

  /** MQTT login check: a registered MQTT device with this password. */
  async verifyMqtt(deviceId: string, password: string): Promise<boolean> {
    const row = this.get(deviceId);
    if (row?.transport !== 'mqtt' || !row.secretHash) return false;
    return verifyPassword(password, row.secretHash);
  }

  /** Kiosk token check: the kiosk device it belongs to, or undefined. */
  kioskForToken(token: string): DeviceRow | undefined {
    const id = token.split('.')[0] ?? '';
    const row = this.get(id);
    if (row?.type !== 'kiosk' || !row.secretHash) return undefined;
    return row.secretHash === tokenDigest(token) ? row : undefined;
  }
}

/** Validates what a schema cannot say alone, and fills the documented serial defaults. */
function normalise(input: NewDevice): NewDevice {
  const bad = (msg: string): never => {
    throw new LinliError('DEVICE_INVALID', msg);
  };
  if (!DEVICE_ID.test(input.id)) bad('id must match [A-Za-z0-9._-]{1,64}');
  const allowed = TRANSPORTS[input.type];
  if (!allowed) bad(`unknown device type ${input.type}`);
  if (!allowed.includes(input.transport)) {
    bad(`a ${input.type} uses transport ${allowed.join(' or ')}, not ${input.transport}`);
  }
  if ((input.type === 'help-button' || input.type === 'help-panel') && !input.assignedTo) {
    bad(
      'a help device needs assignedTo: the elder (resident id) or the place it serves, so an alarm says who and where',
    );
  }
  const out: NewDevice = { ...input };
  if (input.transport === 'serial') {
    if (!input.path) bad('a serial device needs path');
    if (!input.baudRate) bad('a serial device needs baudRate');
    out.dataBits = input.dataBits ?? 8;
    out.parity = input.parity ?? 'none';
    out.stopBits = input.stopBits ?? 1;
    if (input.type === 'card-reader')
      out.uidFormat = input.uidFormat ?? bad('a serial card reader needs uidFormat (hex or decimal)');
    if (input.type === 'qr-scanner') out.encoding = input.encoding ?? 'utf-8';
  } else {
    for (const k of ['path', 'baudRate', 'dataBits', 'parity', 'stopBits'] as const) {
      if (input[k] !== undefined) bad(`${k} is only for serial devices`);
    }
  }
  return out;
}
