/**
 * The few serialport calls every serial link and simulator needs, as promises: open a port with
 * explicit line settings (and an optional injected binding), write and drain, close.
 */

import { SerialPort, type SerialPortMock } from 'serialport';

/** A serialport binding: the platform's own, or `SerialPortMock.binding` in unit tests. */
export type SerialBinding = SerialPort['settings']['binding'] | SerialPortMock['settings']['binding'];

/** Line settings of a port; all required: a device's settings are never guessed. */
export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 1.5 | 2;
}

/**
 * Opens a port. Rejects with serialport's error when the settings are invalid or the port cannot
 * be opened. The port has an `error` listener, so a stray `error` event never crashes the process:
 * serialport also reports every failure through the open callback, `close` or the write callback.
 */
export async function openPort(settings: SerialSettings, binding?: SerialBinding): Promise<SerialPort> {
  const { path, baudRate, dataBits, parity, stopBits } = settings;
  const options = { path, baudRate, dataBits, parity, stopBits, autoOpen: false };
  // SerialPort's type omits `binding`, but its constructor takes one and prefers it to the
  // platform's (it spreads the options over its default): this is how a mock binding gets in.
  const port = new SerialPort(binding === undefined ? options : ({ ...options, binding } as typeof options));
  port.on('error', () => {}); // deliberately empty: see above, every failure is reported elsewhere
  const error = await new Promise<Error | null>((resolve) => port.open(resolve));
  if (error !== null) throw error;
  return port;
}

/** Writes bytes and resolves once they were handed to the OS. */
export async function writeAndDrain(port: SerialPort, bytes: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    port.write(bytes, (error) => {
      if (error) reject(error);
    });
    port.drain((error) => (error ? reject(error) : resolve()));
  });
}

/** Closes a port if it is open; never rejects (a port that is gone is closed enough). */
export async function closePort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}
