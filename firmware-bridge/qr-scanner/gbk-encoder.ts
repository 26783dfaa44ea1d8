/**
 * GBK encoding for simulators. Node has no GBK encoder (TextEncoder is UTF-8 only), so the table is
 * derived once, on first use, from the platform's WHATWG `gbk` decoder: every two-byte code
 * (lead 0x81–0xFE, trail 0x40–0x7E and 0x80–0xFE) is decoded and the mapping reversed.
 */

import { TextDecoder } from 'node:util';

const EURO = 0x20ac; // WHATWG GBK: the euro sign is the single byte 0x80

let table: Map<string, number> | undefined;

function gbkTable(): Map<string, number> {
  if (table !== undefined) return table;
  const decoder = new TextDecoder('gbk', { fatal: true });
  const map = new Map<string, number>();
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      let char: string;
      try {
        char = decoder.decode(pair);
      } catch {
        continue; // unassigned code
      }
      if (!map.has(char)) map.set(char, (lead << 8) | trail);
    }
  }
  table = map;
  return map;
}

/** Encodes `text` as GBK. Throws a `RangeError` naming the first character GBK cannot represent. */
export function encodeGbk(text: string): Buffer {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x80 || code === EURO) {
      out.push(code === EURO ? 0x80 : code);
      continue;
    }
    const pair = gbkTable().get(char);
    if (pair === undefined) {
      throw new RangeError(`GBK cannot represent U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
    }
    out.push(pair >> 8, pair & 0xff);
  }
  return Buffer.from(out);
}
