/**
 * The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1) and septet
 * packing (TS 23.038 §6.1.2.1). Pure functions; used by the SMS-SUBMIT codec for texts that need no
 * other characters (160 per SMS instead of 70 in UCS2).
 */

/** The default alphabet: the character at index n is septet n (0x1B is the escape to the extension table). */
export const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** The extension table: each character is sent as ESC (0x1B) followed by its septet. */
export const GSM7_EXTENSION: Readonly<Record<string, number>> = {
  '\f': 0x0a,
  '^': 0x14,
  '{': 0x28,
  '}': 0x29,
  '\\': 0x2f,
  '[': 0x3c,
  '~': 0x3d,
  ']': 0x3e,
  '|': 0x40,
  '€': 0x65,
};

const ESC = 0x1b;
const BASIC_INDEX = new Map([...GSM7_BASIC].map((char, index) => [char, index] as const));
const EXTENSION_CHAR = new Map(
  Object.entries(GSM7_EXTENSION).map(([char, septet]) => [septet, char] as const),
);

/**
 * The septets of one character: one for the default alphabet, two (ESC, septet) for the extension
 * table, `undefined` for a character GSM 7-bit cannot represent. ESC itself is not a character.
 */
export function gsm7Septets(char: string): number[] | undefined {
  const basic = BASIC_INDEX.get(char);
  if (basic !== undefined && basic !== ESC) return [basic];
  const extension = GSM7_EXTENSION[char];
  return extension === undefined ? undefined : [ESC, extension];
}

/** True when every character of `text` is in the default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const char of text) if (gsm7Septets(char) === undefined) return false;
  return true;
}

/** Septets back to text; an unknown extension septet reads as its default-alphabet character. */
export function gsm7Text(septets: readonly number[]): string {
  let text = '';
  for (let i = 0; i < septets.length; i++) {
    const septet = (septets[i] ?? 0) & 0x7f;
    if (septet === ESC && i + 1 < septets.length) {
      const next = (septets[++i] ?? 0) & 0x7f;
      text += EXTENSION_CHAR.get(next) ?? GSM7_BASIC[next];
    } else if (septet !== ESC) {
      text += GSM7_BASIC[septet];
    }
  }
  return text;
}

/**
 * Packs septets LSB first into octets, after `fillBits` zero bits (the fill that aligns the text
 * to a septet boundary after a user data header, TS 23.040 §9.2.3.24).
 */
export function packSeptets(septets: readonly number[], fillBits = 0): Buffer {
  const bits = fillBits + septets.length * 7;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  let position = fillBits;
  for (const septet of septets) {
    const byte = position >> 3;
    const shift = position & 7;
    out[byte] = (out[byte] ?? 0) | ((septet << shift) & 0xff);
    if (shift > 1) out[byte + 1] = (out[byte + 1] ?? 0) | (septet >> (8 - shift));
    position += 7;
  }
  return out;
}

/** Reads `count` septets from `octets`, starting `fillBits` bits in; stops early at the end of the octets. */
export function unpackSeptets(octets: Uint8Array, count: number, fillBits = 0): number[] {
  const septets: number[] = [];
  for (let n = 0, position = fillBits; n < count && position + 7 <= octets.length * 8; n++, position += 7) {
    const byte = position >> 3;
    const shift = position & 7;
    const pair = (octets[byte] ?? 0) | ((octets[byte + 1] ?? 0) << 8);
    septets.push((pair >> shift) & 0x7f);
  }
  return septets;
}
