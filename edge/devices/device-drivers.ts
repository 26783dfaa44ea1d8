import type { Logger } from 'pino';
import { BankTerminalDriver } from '../../firmware-bridge/bank-terminal/driver.js';
import { PcscReaderClaims } from '../../firmware-bridge/card-reader/pcsc-claims.js';
import { PcscCardReaderDriver } from '../../firmware-bridge/card-reader/pcsc-driver.js';
import { SerialCardReaderDriver } from '../../firmware-bridge/card-reader/serial-driver.js';
import type { DeviceEvent, LinkState } from '../../firmware-bridge/device-events.js';
import { GsmModemDriver } from '../../firmware-bridge/gsm-modem/driver.js';
import { HelpPanelDriver, PANEL_HEARTBEAT_S } from '../../firmware-bridge/help-panel/driver.js';
import { QrScannerDriver } from '../../firmware-bridge/qr-scanner/driver.js';
import type { DeviceRow } from '../state/edge-state.js';

/** What a running driver looks like to the edge, whatever the device. */
export interface RunningDriver {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A command the edge sent the device on its `cmd` topic (JSON), turned into wire bytes. */
  command?(cmd: DeviceCommand): Promise<void>;
  /** A GSM modem: send one SMS. */
  sendSms?(to: string, text: string): Promise<unknown>;
  /** A bank terminal: the driver itself, which the payments drive (edge/payments/). */
  terminal?: BankTerminalDriver;
}

/** Commands on `linli/v1/dev/{id}/cmd` (DESIGN.md): only the fields drivers read. */
export interface DeviceCommand {
  type: string;
  seq?: number;
  boot?: string | number;
  result?: string;
}

/** Where drivers report: the edge turns these into broker messages and health changes. */
export interface DriverSink {
  event(deviceId: string, event: DeviceEvent): void;
  link(deviceId: string, state: LinkState): void;
  malformed(deviceId: string, reason: string): void;
  /** The device promises a heartbeat every `hbS` seconds: hold it to that. */
  supervise(deviceId: string, hbS: number): void;
}

export interface DriverTimings {
  backoffMs: number;
  backoffMaxMs: number;
  /** Same-UID cooldown of card readers. */
  cardCooldownMs: number;
  /** How often a PC/SC worker pings (a silent one is replaced after 5). */
  pcscHeartbeatMs: number;
  /** Bank terminals: the ECR link's ACK timeout, and how long answers may take. */
  ecr: { ackTimeoutMs: number; resultTimeoutMs: number; queryTimeoutMs: number };
}

type DriverFactory = (device: DeviceRow, sink: DriverSink, timings: DriverTimings) => RunningDriver;

/** A registered serial device's line settings, with the documented defaults, and the edge's backoff. */
function lineOptions(d: DeviceRow, timings: DriverTimings) {
  return {
    deviceId: d.id,
    path: d.path as string,
    baudRate: d.baudRate as number,
    dataBits: d.dataBits ?? 8,
    parity: d.parity ?? 'none',
    stopBits: d.stopBits ?? 1,
    backoff: { initialMs: timings.backoffMs, maxMs: timings.backoffMaxMs },
  } as const;
}

/** What any driver reports, passed on to the sink under the device's id. */
interface ReportingDriver {
  on(event: 'link', fn: (s: LinkState) => void): unknown;
  on(event: 'malformed', fn: (m: { reason: string }) => void): unknown;
}
function report<D extends ReportingDriver>(driver: D, d: DeviceRow, sink: DriverSink): D {
  driver.on('link', (s) => sink.link(d.id, s));
  driver.on('malformed', (m) => sink.malformed(d.id, m.reason));
  return driver;
}

/** A driver whose device events go to the sink as they are. */
function forwarding<
  D extends ReportingDriver & { on(event: 'event', fn: (e: DeviceEvent) => void): unknown },
>(driver: D, d: DeviceRow, sink: DriverSink): D {
  report(driver, d, sink).on('event', (e) => sink.event(d.id, e));
  return driver;
}

/** One factory per serial device type the edge drives itself. */
const SERIAL: Partial<Record<DeviceRow['type'], DriverFactory>> = {
  'qr-scanner': (d, sink, timings) =>
    forwarding(new QrScannerDriver({ ...lineOptions(d, timings), encoding: d.encoding ?? 'utf-8' }), d, sink),
  'card-reader': (d, sink, timings) =>
    forwarding(
      new SerialCardReaderDriver({
        ...lineOptions(d, timings),
        uidFormat: d.uidFormat ?? 'hex',
        cooldownMs: timings.cardCooldownMs,
      }),
      d,
      sink,
    ),
  'bank-terminal': (d, sink, timings) => {
    const { ackTimeoutMs, resultTimeoutMs, queryTimeoutMs } = timings.ecr;
    const driver = report(
      new BankTerminalDriver({
        ...lineOptions(d, timings),
        // A resend of a terminal frame comes within its sends' ACK timeouts: a repeat after that is new.
        timings: { ackTimeoutMs, resultTimeoutMs, queryTimeoutMs, duplicateWindowMs: ackTimeoutMs * 3 },
      }),
      d,
      sink,
    );
    // Its results are no device events: the payments take them from the driver (edge/payments/).
    return Object.assign(driver, { terminal: driver });
  },
  'gsm-modem': (d, sink, timings) => report(new GsmModemDriver(lineOptions(d, timings)), d, sink),
  'help-panel': (d, sink, timings) => {
    const driver = forwarding(new HelpPanelDriver(lineOptions(d, timings)), d, sink);
    // The panel's protocol fixes its heartbeat: hold it to that from the moment its port opens.
    driver.on('link', (s) => s.online && sink.supervise(d.id, PANEL_HEARTBEAT_S));
    return Object.assign(driver, {
      // `$AK,<seq>` once the alarm is on disk, again for every repeat.
      command: async (cmd: DeviceCommand) => {
        if (cmd.type === 'help.ack' && typeof cmd.seq === 'number') await driver.ack(cmd.seq);
      },
    });
  },
};

/**
 * Starts and stops the drivers of the devices the edge drives itself (serial, PC/SC), following
 * the registry. MQTT and HTTP devices drive themselves.
 */
export class DeviceDrivers {
  private readonly running = new Map<string, RunningDriver>();
  /** Drivers being stopped: a device added again (its settings changed) waits for its old driver. */
  private readonly stopping = new Map<string, Promise<void>>();
  /** One registry of PC/SC readers for all PC/SC card reader devices of this edge. */
  private readonly claims = new PcscReaderClaims();

  constructor(
    private readonly sink: DriverSink,
    private readonly timings: DriverTimings,
    private readonly log: Logger,
  ) {}

  private factory(device: DeviceRow): DriverFactory | string {
    if (device.transport === 'serial')
      return SERIAL[device.type] ?? `no serial driver for ${device.type} yet`;
    if (device.transport === 'pcsc' && device.type === 'card-reader') {
      return (d, sink, timings) =>
        forwarding(
          new PcscCardReaderDriver({
            deviceId: d.id,
            ...(d.reader ? { reader: d.reader } : {}),
            claims: this.claims,
            cooldownMs: timings.cardCooldownMs,
            workerHeartbeatMs: timings.pcscHeartbeatMs,
          }),
          d,
          sink,
        );
    }
    return '';
  }

  async add(device: DeviceRow): Promise<void> {
    await this.stopping.get(device.id);
    if (this.running.has(device.id)) return;
    const factory = this.factory(device);
    if (factory === '') return; // drives itself
    if (typeof factory === 'string') {
      this.sink.link(device.id, { online: false, reason: factory });
      return;
    }
    const driver = factory(device, this.sink, this.timings);
    this.running.set(device.id, driver);
    try {
      await driver.start();
    } catch (err) {
      this.log.error({ err, deviceId: device.id }, 'device driver failed to start');
      this.sink.link(device.id, { online: false, reason: 'driver failed to start' });
    }
  }

  /** The running driver of a device, if any. */
  get(deviceId: string): RunningDriver | undefined {
    return this.running.get(deviceId);
  }

  /** Hands a command to the device's driver; false when the device has no running driver that takes commands. */
  async command(deviceId: string, cmd: DeviceCommand): Promise<boolean> {
    const d = this.running.get(deviceId);
    if (!d?.command) return false;
    await d.command(cmd);
    return true;
  }

  async remove(deviceId: string): Promise<void> {
    const d = this.running.get(deviceId);
    if (!d) return;
    this.running.delete(deviceId);
    const stopped = d.stop().finally(() => {
      if (this.stopping.get(deviceId) === stopped) this.stopping.delete(deviceId);
    });
    this.stopping.set(deviceId, stopped);
    await stopped;
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.allSettled(all.map((d) => d.stop()));
  }
}
