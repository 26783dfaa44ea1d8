import type { Logger } from 'pino';
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

export interface SerialTimings {
  backoffMs: number;
  backoffMaxMs: number;
}

type DriverFactory = (device: DeviceRow, sink: DriverSink, timings: SerialTimings) => RunningDriver;

/** A registered serial device's line settings, with the documented defaults, and the edge's backoff. */
function lineOptions(d: DeviceRow, timings: SerialTimings) {
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

/** One factory per device type the edge drives itself; later issues add card readers, terminals… */
const FACTORIES: Partial<Record<DeviceRow['type'], DriverFactory>> = {
  'qr-scanner': (d, sink, timings) => {
    const driver = report(
      new QrScannerDriver({ ...lineOptions(d, timings), encoding: d.encoding ?? 'utf-8' }),
      d,
      sink,
    );
    driver.on('event', (e) => sink.event(d.id, e));
    return driver;
  },
  'gsm-modem': (d, sink, timings) => report(new GsmModemDriver(lineOptions(d, timings)), d, sink),
  'help-panel': (d, sink, timings) => {
    const driver = report(new HelpPanelDriver(lineOptions(d, timings)), d, sink);
    driver.on('event', (e) => sink.event(d.id, e));
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

/** Starts and stops the drivers of registered serial devices, following the registry. */
export class SerialDrivers {
  private readonly running = new Map<string, RunningDriver>();

  constructor(
    private readonly sink: DriverSink,
    private readonly timings: SerialTimings,
    private readonly log: Logger,
  ) {}

  async add(device: DeviceRow): Promise<void> {
    if (device.transport !== 'serial' || this.running.has(device.id)) return;
    const factory = FACTORIES[device.type];
    if (!factory) {
      this.sink.link(device.id, { online: false, reason: `no serial driver for ${device.type} yet` });
      return;
    }
    const driver = factory(device, this.sink, this.timings);
    this.running.set(device.id, driver);
    try {
      await driver.start();
    } catch (err) {
      this.log.error({ err, deviceId: device.id }, 'serial driver failed to start');
      this.sink.link(device.id, { online: false, reason: 'driver failed to start' });
    }
  }

  /** The running driver of a device, if any. */
  get(deviceId: string): RunningDriver | undefined {
    return this.running.get(deviceId);
  }

  /** Hands a command to the device's driver; false when the device has no running serial driver. */
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
    await d.stop();
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.allSettled(all.map((d) => d.stop()));
  }
}
