/**
 * Bank terminal ECR link, messages: the DATA of a frame as typed messages (DESIGN.md, "Serial wire
 * protocols" 3; docs/protocols.md, "Bank terminal (ECR link)"). DATA is UTF-8, fields joined by `|`:
 *
 * ```
 * edge → terminal   S|<ref>|<amountFen>|<memo>   Q|<ref>   V|<ref>   T
 * terminal → edge   P|<ref>|<prompt>
 *                   R|<ref>|<code>|<amountFen>|<maskedPan>|<authCode>|<traceNo>|<batchNo>|<time>|<text>
 *                   VR|<ref>|<code>|<traceNo>|<time>
 *                   TR|<batchNo>|<count>|<totalFen>
 * ```
 *
 * Parsing never throws: a message that breaks a rule is refused with a {@link EcrMessageFault}
 * naming the rule or the field, never the field's value (it may hold a card number). Encoding
 * throws a `RangeError` naming the field for a message that breaks a rule.
 */

/** `<ref>`: the edge's idempotency key for one sale. */
export const ECR_REF = /^[0-9A-Z]{12}$/;
/** Longest memo, prompt or text, in characters (Unicode code points): a receipt line or two. */
export const ECR_MAX_TEXT_CHARS = 64;

export interface EcrSaleRequest {
  type: 'S';
  ref: string;
  /** 1 or more. */
  amountFen: number;
  memo: string;
}
export interface EcrQueryRequest {
  type: 'Q';
  ref: string;
}
export interface EcrVoidRequest {
  type: 'V';
  ref: string;
}
export interface EcrSettleRequest {
  type: 'T';
}
/** What the edge sends. */
export type EcrEdgeMessage = EcrSaleRequest | EcrQueryRequest | EcrVoidRequest | EcrSettleRequest;

export interface EcrPrompt {
  type: 'P';
  ref: string;
  prompt: string;
}
export interface EcrSaleResult {
  type: 'R';
  ref: string;
  code: string;
  amountFen: number;
  /** Empty when no card was read; otherwise at most the first 6 and last 4 digits, `*` between. */
  maskedPan: string;
  authCode: string;
  traceNo: string;
  batchNo: string;
  /** The terminal's local time, `yyyyMMddHHmmss`. */
  time: string;
  text: string;
}
export interface EcrVoidResult {
  type: 'VR';
  ref: string;
  code: string;
  traceNo: string;
  time: string;
}
export interface EcrSettlement {
  type: 'TR';
  batchNo: string;
  count: number;
  totalFen: number;
}
/** What the terminal sends. */
export type EcrTerminalMessage = EcrPrompt | EcrSaleResult | EcrVoidResult | EcrSettlement;

/** Why a message was refused: a rule of the whole DATA, or the field that broke its rule. */
export type EcrMessageFault =
  | { reason: 'utf8' | 'control' | 'unknown-type' | 'field-count' }
  | { reason: 'form'; field: string };

/** The result of parsing one DATA. */
export type EcrParsed<M> = { ok: true; message: M } | { ok: false; fault: EcrMessageFault };

/** What a result code says (DESIGN.md): `00`, `PD`, `NF`, `VD`, `C`; every other code is a decline. */
export type EcrOutcome = 'approved' | 'in-progress' | 'not-found' | 'voided' | 'cancelled' | 'declined';

/** The outcome a result code stands for. */
export function ecrOutcome(code: string): EcrOutcome {
  const outcomes: Readonly<Record<string, EcrOutcome>> = {
    '00': 'approved',
    PD: 'in-progress',
    NF: 'not-found',
    VD: 'voided',
    C: 'cancelled',
  };
  return Object.hasOwn(outcomes, code) ? (outcomes[code] as EcrOutcome) : 'declined';
}

const CODE = /^(C|[0-9A-Z]{2})$/;
const POSITIVE = /^[1-9][0-9]{0,11}$/;
const NON_NEGATIVE = /^(0|[1-9][0-9]{0,11})$/;
const AUTH_CODE = /^[0-9A-Z]{0,6}$/;
const NUMBER_0_6 = /^[0-9]{0,6}$/;
const NUMBER_1_6 = /^[0-9]{1,6}$/;
const PAN = /^[0-9*]{12,19}$/;
const TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;

/** A PAN as it may be kept: every digit but the first 6 and last 4 replaced by `*`. */
export function maskPan(pan: string): string {
  if (pan.length <= 10) return pan;
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

/** True for an empty PAN or one that shows at most its first 6 and last 4 digits. */
function isMaskedPan(pan: string): boolean {
  return pan === '' || (PAN.test(pan) && maskPan(pan) === pan);
}

/** True for `yyyyMMddHHmmss` naming a real calendar second. */
export function isTerminalTime(time: string): boolean {
  const m = TIME.exec(time);
  if (m === null) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate(); // day 0 of the next month: this month's last
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h <= 23 && mi <= 59 && s <= 59;
}

/** `ms` (since the epoch) as `yyyyMMddHHmmss` in the zone `utcOffsetMinutes` east of UTC. */
export function formatTerminalTime(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 19).replace(/[-T:]/g, '');
}

function isText(text: string): boolean {
  return !CONTROL.test(text) && !text.includes('|') && [...text].length <= ECR_MAX_TEXT_CHARS;
}

/** Field rules by field name: the same for parsing and encoding. */
const RULES: Readonly<Record<string, (value: string) => boolean>> = {
  ref: (v) => ECR_REF.test(v),
  code: (v) => CODE.test(v),
  amountFen: (v) => NON_NEGATIVE.test(v),
  saleAmountFen: (v) => POSITIVE.test(v),
  count: (v) => NON_NEGATIVE.test(v),
  totalFen: (v) => NON_NEGATIVE.test(v),
  maskedPan: (v) => v === '' || PAN.test(v),
  authCode: (v) => AUTH_CODE.test(v),
  traceNo: (v) => NUMBER_0_6.test(v),
  batchNo: (v) => NUMBER_0_6.test(v),
  settledBatchNo: (v) => NUMBER_1_6.test(v),
  time: isTerminalTime,
  text: isText,
};

/** The fields of each message type after the type: each with its name and its rule in {@link RULES}. */
const LAYOUTS: Readonly<Record<string, readonly (readonly [name: string, rule: string])[]>> = {
  S: [
    ['ref', 'ref'],
    ['amountFen', 'saleAmountFen'],
    ['memo', 'text'],
  ],
  Q: [['ref', 'ref']],
  V: [['ref', 'ref']],
  T: [],
  P: [
    ['ref', 'ref'],
    ['prompt', 'text'],
  ],
  R: ['ref', 'code', 'amountFen', 'maskedPan', 'authCode', 'traceNo', 'batchNo', 'time', 'text'].map(
    (name) => [name, name] as const,
  ),
  VR: ['ref', 'code', 'traceNo', 'time'].map((name) => [name, name] as const),
  TR: [
    ['batchNo', 'settledBatchNo'],
    ['count', 'count'],
    ['totalFen', 'totalFen'],
  ],
};
const SENT_BY = { edge: ['S', 'Q', 'V', 'T'], terminal: ['P', 'R', 'VR', 'TR'] } as const;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Which side wrote the DATA: the edge reads what the terminal sends, the terminal what the edge sends. */
export type EcrSender = keyof typeof SENT_BY;

function build(type: string, f: string[]): EcrEdgeMessage | EcrTerminalMessage {
  const [a = '', b = '', c = '', d = '', e = '', g = '', h = '', i = '', j = ''] = f;
  switch (type) {
    case 'S':
      return { type, ref: a, amountFen: Number(b), memo: c };
    case 'Q':
    case 'V':
      return { type, ref: a };
    case 'T':
      return { type };
    case 'P':
      return { type, ref: a, prompt: b };
    case 'R':
      return {
        ...{ type, ref: a, code: b, amountFen: Number(c), maskedPan: maskPan(d) },
        ...{ authCode: e, traceNo: g, batchNo: h, time: i, text: j },
      };
    case 'VR':
      return { type, ref: a, code: b, traceNo: c, time: d };
    default:
      return { type: 'TR', batchNo: a, count: Number(b), totalFen: Number(c) };
  }
}

/**
 * Parses one frame's DATA sent by `sender`. Checks in order: UTF-8, control characters, the
 * message type (one `sender` sends), the field count, then each field in order. A card number
 * showing more than its first 6 and last 4 digits is masked here, before anyone sees it. Pure;
 * never throws.
 */
export function parseEcrMessage(data: Uint8Array, sender: 'edge'): EcrParsed<EcrEdgeMessage>;
export function parseEcrMessage(data: Uint8Array, sender: 'terminal'): EcrParsed<EcrTerminalMessage>;
export function parseEcrMessage(
  data: Uint8Array,
  sender: EcrSender,
): EcrParsed<EcrEdgeMessage | EcrTerminalMessage> {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch {
    return { ok: false, fault: { reason: 'utf8' } };
  }
  if (CONTROL.test(text)) return { ok: false, fault: { reason: 'control' } };
  const [type = '', ...fields] = text.split('|');
  const layout = (SENT_BY[sender] as readonly string[]).includes(type) ? LAYOUTS[type] : undefined;
  if (layout === undefined) return { ok: false, fault: { reason: 'unknown-type' } };
  if (fields.length !== layout.length) return { ok: false, fault: { reason: 'field-count' } };
  for (const [index, [field, rule]] of layout.entries()) {
    if (!(RULES[rule] as (v: string) => boolean)(fields[index] as string)) {
      return { ok: false, fault: { reason: 'form', field } };
    }
  }
  return { ok: true, message: build(type, fields) };
}

function fieldsOf(message: EcrEdgeMessage | EcrTerminalMessage): unknown[] {
  switch (message.type) {
    case 'S':
      return [message.ref, message.amountFen, message.memo];
    case 'Q':
    case 'V':
      return [message.ref];
    case 'T':
      return [];
    case 'P':
      return [message.ref, message.prompt];
    case 'R': {
      const { ref, code, amountFen, maskedPan, authCode, traceNo, batchNo, time, text } = message;
      return [ref, code, amountFen, maskedPan, authCode, traceNo, batchNo, time, text];
    }
    case 'VR':
      return [message.ref, message.code, message.traceNo, message.time];
    case 'TR':
      return [message.batchNo, message.count, message.totalFen];
  }
}

/**
 * The DATA of `message` (UTF-8). Throws a `RangeError` naming the first field that breaks its rule;
 * a card number must already be masked (first 6 and last 4 digits at most).
 */
export function encodeEcrMessage(message: EcrEdgeMessage | EcrTerminalMessage): Buffer {
  const layout = LAYOUTS[message.type] ?? [];
  const fields = fieldsOf(message);
  for (const [index, [field, rule]] of layout.entries()) {
    const value = fields[index];
    const ok =
      (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))) &&
      (RULES[rule] as (v: string) => boolean)(String(value)) &&
      (rule !== 'maskedPan' || isMaskedPan(String(value)));
    if (!ok)
      throw new RangeError(`${message.type}: ${field} breaks its rule (docs/protocols.md, "Bank terminal")`);
  }
  return Buffer.from([message.type, ...fields.map(String)].join('|'), 'utf8');
}
