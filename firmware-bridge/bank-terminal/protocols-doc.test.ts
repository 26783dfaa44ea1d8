/**
 * Keeps docs/protocols.md, "Bank terminal (ECR link)", in step with the codec: every hex dump in
 * the section must be whole good frames (or ACK/NAK) carrying valid messages, and every LRC the
 * text names must be the last byte of a dumped frame.
 */

import { readFile } from 'node:fs/promises';
import t from 'tap';
import { EcrFrameParser } from './codec.js';
import { parseEcrMessage } from './message-codec.js';

const doc = await readFile(new URL('../../docs/protocols.md', import.meta.url), 'utf8');
const start = doc.indexOf('## Bank terminal (ECR link)');
const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
const DUMP_LINE = /^(?:\w+:\s+)?([0-9a-f]{4}) {2}((?:[0-9a-f]{2} )*[0-9a-f]{2})\s+\|/;

t.test('every hex dump of the section is good frames with valid messages', async (t) => {
  t.ok(start >= 0, 'the section exists');
  const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const frames: Buffer[] = [];
  for (const block of blocks) {
    const dumps = block.split(/\n\s*\n/).map((part) =>
      part
        .split('\n')
        .map((line) => DUMP_LINE.exec(line.trim()))
        .filter((m) => m !== null),
    );
    for (const lines of dumps) {
      if (lines.length === 0) continue;
      // A dump that restarts at offset 0000 is the next frame (edge: … / terminal: …).
      let bytes: number[] = [];
      const flush = () => {
        if (bytes.length > 0) frames.push(Buffer.from(bytes));
        bytes = [];
      };
      for (const m of lines) {
        if (m[1] === '0000') flush();
        bytes.push(...(m[2] as string).split(' ').map((h) => Number.parseInt(h, 16)));
      }
      flush();
    }
  }
  t.ok(frames.length >= 9, `${frames.length} dumps found`);
  for (const bytes of frames) {
    const items = new EcrFrameParser().feed(bytes);
    const label = bytes.subarray(0, 8).toString('hex');
    t.ok(items.length > 0 && items.every((i) => i.kind === 'frame' || i.kind === 'ack'), `${label}: good`);
    for (const item of items) {
      if (item.kind !== 'frame') continue;
      const edge = parseEcrMessage(item.data, 'edge');
      const terminal = parseEcrMessage(item.data, 'terminal');
      t.ok(edge.ok || terminal.ok, `${label}: a valid message`);
    }
  }
  const lrcs = new Set(frames.map((f) => f.at(-1)?.toString(16).toUpperCase().padStart(2, '0')));
  for (const [, lrc] of section.matchAll(/LRC `([0-9A-F]{2})`/g)) {
    t.ok(lrcs.has(lrc), `LRC ${lrc} named in the text ends a dumped frame`);
  }
});
