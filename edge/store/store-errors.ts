/** Codes of the errors the store raises; stable strings that callers may switch on. */
export const StoreErrorCode = {
  /** A stored file cannot be parsed or fails its checksum. */
  Corrupt: 'STORE_CORRUPT',
  /** The store was written by a newer schema than this software knows. */
  SchemaTooNew: 'STORE_SCHEMA_TOO_NEW',
  /** The journal or log was closed. */
  Closed: 'STORE_CLOSED',
  /** A write or fsync failed earlier; the journal refuses further appends until it is reopened. */
  Failed: 'STORE_FAILED',
  /** The requested entries were deleted by retention. */
  Deleted: 'STORE_DELETED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** An error of the store, with a code and, where one is involved, the file. */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly file: string | undefined;

  constructor(code: StoreErrorCode, message: string, opts: { file?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.file = opts.file;
  }
}
