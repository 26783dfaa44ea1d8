/**
 * Command-line options shared by every serial simulator subcommand: the port and its line settings.
 * Defaults follow DESIGN.md ("Devices": 8 data bits, no parity, 1 stop bit unless given); the
 * baud rate defaults to 9600 here, in a tool, and is shown in each usage text.
 */

import type { SerialSettings } from '../serial/port-io.js';
import { parseChoice, parsePositiveInt, UsageError } from './sim-command.js';

/** parseArgs options for `--port`, `--baud`, `--data-bits`, `--parity`, `--stop-bits`. */
export const serialOptions = {
  port: { type: 'string' },
  baud: { type: 'string', default: '9600' },
  'data-bits': { type: 'string', default: '8' },
  parity: { type: 'string', default: 'none' },
  'stop-bits': { type: 'string', default: '1' },
} as const;

/** Usage lines for {@link serialOptions}. */
export const serialUsage = `  --port PATH         serial port to write to, e.g. the far end of a socat pty pair (required)
  --baud N            baud rate (default 9600)
  --data-bits N       5, 6, 7 or 8 (default 8)
  --parity P          none, even, odd, mark or space (default none)
  --stop-bits N       1, 1.5 or 2 (default 1)`;

interface SerialValues {
  port?: string | undefined;
  baud?: string | undefined;
  'data-bits'?: string | undefined;
  parity?: string | undefined;
  'stop-bits'?: string | undefined;
}

/** Validates the serial options; throws a {@link UsageError} naming the bad one. */
export function parseSerialSettings(values: SerialValues): SerialSettings {
  if (values.port === undefined || values.port === '') throw new UsageError('--port is required');
  const dataBits = parseChoice(values['data-bits'] ?? '8', ['5', '6', '7', '8'] as const, '--data-bits');
  const stopBits = parseChoice(values['stop-bits'] ?? '1', ['1', '1.5', '2'] as const, '--stop-bits');
  return {
    path: values.port,
    baudRate: parsePositiveInt(values.baud ?? '9600', '--baud'),
    dataBits: Number(dataBits) as SerialSettings['dataBits'],
    parity: parseChoice(
      values.parity ?? 'none',
      ['none', 'even', 'odd', 'mark', 'space'] as const,
      '--parity',
    ),
    stopBits: Number(stopBits) as SerialSettings['stopBits'],
  };
}
