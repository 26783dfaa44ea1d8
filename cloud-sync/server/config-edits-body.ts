import { ConfigRefusalCode, MAX_EDITS, MAX_EDITS_BYTES } from '../protocol/config.js';

export type EditsBody =
  | { ok: true; edits: unknown[] }
  | { ok: false; status: 400 | 413; code: ConfigRefusalCode; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The whole-body checks of `POST /api/v1/sync/config/edits` (docs/config-sync.md): size, UTF-8
 * JSON, `{"edits": [...]}` with nothing else, at most {@link MAX_EDITS}. Each edit is checked on
 * its own later (one bad edit never fails the others). Reasons never quote the body.
 */
export function parseEditsBody(raw: Buffer): EditsBody {
  const refuse = (status: 400 | 413, code: ConfigRefusalCode, reason: string): EditsBody => ({
    ok: false,
    status,
    code,
    reason,
  });
  if (raw.length > MAX_EDITS_BYTES) {
    return refuse(
      413,
      ConfigRefusalCode.EditsTooLarge,
      `body of ${raw.length} bytes is over ${MAX_EDITS_BYTES}`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(raw));
  } catch {
    return refuse(400, ConfigRefusalCode.EditsNotJson, 'body is not UTF-8 JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return refuse(400, ConfigRefusalCode.EditsMalformed, 'body is not an object');
  }
  const keys = Object.keys(body);
  const edits = (body as { edits?: unknown }).edits;
  if (!Array.isArray(edits) || keys.length !== 1) {
    return refuse(400, ConfigRefusalCode.EditsMalformed, 'body is {"edits": [...]} and nothing else');
  }
  if (edits.length > MAX_EDITS) {
    return refuse(413, ConfigRefusalCode.EditsTooMany, `${edits.length} edits is over ${MAX_EDITS}`);
  }
  return { ok: true, edits };
}
