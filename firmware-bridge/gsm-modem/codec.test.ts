/**
 * The modem's response framing: CR LF lines, the `> ` prompt without a line end, final result
 * codes, unsolicited result codes, echo, drops; fed whole, byte by byte and split at every point.
 */

import { finished } from 'node:stream/promises';
import t from 'tap';
import {
  classifyLine,
  isFinal,
  MODEM_MAX_LINE_BYTES,
  type ModemLine,
  ModemLineDecoder,
  type ModemMalformedReason,
} from './codec.js';

interface Decoded {
  lines: ModemLine[];
  malformed: ModemMalformedReason[];
}

/** Decodes chunks; a string chunk is taken as bytes (latin1). */
async function decode(chunks: (string | Uint8Array)[]): Promise<Decoded> {
  const decoder = new ModemLineDecoder();
  const lines: ModemLine[] = [];
  const malformed: ModemMalformedReason[] = [];
  decoder.on('data', (line: ModemLine) => lines.push(line));
  decoder.on('malformed', (m: { reason: ModemMalformedReason }) => malformed.push(m.reason));
  for (const chunk of chunks) decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  decoder.end();
  await finished(decoder);
  return { lines, malformed };
}

/** A whole session as a modem with echo on sends it: init, a CSQ, a two-part SMS, URCs between. */
const TRANSCRIPT =
  'AT\r\r\nOK\r\n' +
  'ATE0\r\r\nOK\r\n' +
  '\r\nOK\r\n' +
  '\r\n^BOOT:12345,0,0,0,72\r\n' +
  '\r\n+CSQ: 21,99\r\n\r\nOK\r\n' +
  '\r\n> ' +
  '\r\n+CMGS: 7\r\n\r\nOK\r\n' +
  '\r\nRING\r\n' +
  '\r\n> ' +
  '\r\n+CMS ERROR: 330\r\n' +
  '\r\n+CMTI: "SM",3\r\n' +
  '\r\n+CME ERROR: 10\r\n' +
  '\r\nERROR\r\n';

const EXPECTED: ModemLine[] = [
  { kind: 'echo', text: 'AT' },
  { kind: 'ok' },
  { kind: 'echo', text: 'ATE0' },
  { kind: 'ok' },
  { kind: 'ok' },
  { kind: 'urc', text: '^BOOT:12345,0,0,0,72' },
  { kind: 'info', text: '+CSQ: 21,99' },
  { kind: 'ok' },
  { kind: 'prompt' },
  { kind: 'info', text: '+CMGS: 7' },
  { kind: 'ok' },
  { kind: 'urc', text: 'RING' },
  { kind: 'prompt' },
  { kind: 'cms-error', code: 330, text: '330' },
  { kind: 'urc', text: '+CMTI: "SM",3' },
  { kind: 'cme-error', code: 10, text: '10' },
  { kind: 'error' },
];

t.test('a whole transcript in one chunk', async (t) => {
  t.same(await decode([TRANSCRIPT]), { lines: EXPECTED, malformed: [] });
});

t.test('byte by byte, and split in two at every point', async (t) => {
  const bytes = Buffer.from(TRANSCRIPT, 'latin1');
  t.same((await decode([...bytes].map((b) => Uint8Array.of(b)))).lines, EXPECTED, 'byte by byte');
  let differing = 0;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = await decode([bytes.subarray(0, cut), bytes.subarray(cut)]);
    if (JSON.stringify(d.lines) !== JSON.stringify(EXPECTED)) differing++;
  }
  t.equal(differing, 0, `all ${bytes.length + 1} two-chunk splits decode alike`);
});

t.test('the prompt: "> " with no line end, also split between reads', async (t) => {
  t.same((await decode(['\r\n> '])).lines, [{ kind: 'prompt' }]);
  t.same((await decode(['\r\n>', ' '])).lines, [{ kind: 'prompt' }], '">" and " " in separate reads');
  t.same((await decode(['> '])).lines, [{ kind: 'prompt' }], 'without the leading CR LF');
  t.same((await decode(['a> \r\n'])).lines, [{ kind: 'info', text: 'a> ' }], 'only at the start of a line');
  t.same((await decode(['>\r\n'])).lines, [{ kind: 'info', text: '>' }], '">" alone is not the prompt');
  t.same((await decode(['> \r\nOK\r\n'])).lines, [{ kind: 'prompt' }, { kind: 'ok' }]);
});

t.test('final result codes and their codes', async (t) => {
  t.same(classifyLine('OK'), { kind: 'ok' });
  t.same(classifyLine('ERROR'), { kind: 'error' });
  t.same(classifyLine('+CMS ERROR: 330'), { kind: 'cms-error', code: 330, text: '330' });
  t.same(classifyLine('+CME ERROR: 10'), { kind: 'cme-error', code: 10, text: '10' });
  t.same(classifyLine('+CME ERROR: SIM not inserted'), { kind: 'cme-error', text: 'SIM not inserted' });
  t.same(classifyLine('+CMS ERROR:500'), { kind: 'cms-error', code: 500, text: '500' }, 'no space');
  for (const line of ['OK', 'ERROR', '+CMS ERROR: 1', '+CME ERROR: x'])
    t.ok(isFinal(classifyLine(line)), line);
  for (const line of ['+CMGS: 3', 'RING', 'ATE0', 'OK ', 'ok']) t.notOk(isFinal(classifyLine(line)), line);
});

t.test('unsolicited result codes, echo and information lines', async (t) => {
  const urcs = ['RING', '+CRING: VOICE', '+CMTI: "SM",3', '+CMT: ,24', '+CDSI: "SR",1', '^RSSI:14'];
  for (const text of [...urcs, 'RDY', 'SMS Ready', 'NO CARRIER', '^BOOT:1,0,0,0,72']) {
    t.same(classifyLine(text), { kind: 'urc', text }, text);
  }
  t.same(classifyLine('AT+CMGF=0'), { kind: 'echo', text: 'AT+CMGF=0' });
  t.same(classifyLine('at+csq'), { kind: 'echo', text: 'at+csq' });
  t.same(classifyLine('+CSQ: 31,99'), { kind: 'info', text: '+CSQ: 31,99' });
  t.same(classifyLine('0791683108200005F0'), { kind: 'info', text: '0791683108200005F0' });
});

t.test('any CR or LF ends a line; empty lines are skipped', async (t) => {
  t.same((await decode(['OK\rOK\nOK\r\n\n\r\r\nOK'])).lines, [
    { kind: 'ok' },
    { kind: 'ok' },
    { kind: 'ok' },
  ]);
  t.same(await decode(['\r\n\r\n\n\r']), { lines: [], malformed: [] });
  t.same(
    (await decode(['done\r\npartial'])).lines,
    [{ kind: 'info', text: 'done' }],
    'a partial line is dropped',
  );
});

t.test('control and non-ASCII bytes drop the line and are counted', async (t) => {
  for (const byte of [0x00, 0x07, 0x1a, 0x1b, 0x7f, 0x80, 0xff]) {
    const d = await decode([Buffer.from([0x4f, byte, 0x4b, 0x0d, 0x0a]), '\r\nOK\r\n']);
    t.same(d, { lines: [{ kind: 'ok' }], malformed: ['bad-byte'] }, `0x${byte.toString(16)}`);
  }
  t.same((await decode(['+X:\ta\r\n'])).lines, [{ kind: 'info', text: '+X:\ta' }], 'TAB is allowed');
});

t.test(`${MODEM_MAX_LINE_BYTES}-byte limit, bounded buffer`, async (t) => {
  const ok = await decode([`${'A'.repeat(MODEM_MAX_LINE_BYTES)}\r\n`]);
  t.equal(ok.lines.length, 1, 'exactly the limit is accepted');
  t.same(await decode([`${'A'.repeat(MODEM_MAX_LINE_BYTES + 1)}\r\nOK\r\n`]), {
    lines: [{ kind: 'ok' }],
    malformed: ['too-long'],
  });
  const decoder = new ModemLineDecoder();
  const malformed: string[] = [];
  decoder.on('malformed', (m: { reason: string }) => malformed.push(m.reason));
  let maxBuffered = 0;
  for (let i = 0; i < 1000; i++) {
    decoder.write(Buffer.alloc(1000, 0x41)); // a megabyte of garbage without a line end
    maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
  }
  t.ok(maxBuffered <= MODEM_MAX_LINE_BYTES, `buffered at most ${maxBuffered} bytes`);
  t.same(malformed, ['too-long'], 'reported once');
  const lines: ModemLine[] = [];
  decoder.on('data', (line: ModemLine) => lines.push(line));
  decoder.end(Buffer.from('tail\r\nOK\r\n'));
  await finished(decoder);
  t.same(lines, [{ kind: 'ok' }], 'the rest is skipped up to its line end; the next line decodes');
});
