/**
 * Coded errors of the edge. Services throw them; the HTTP boundary maps each code to a status
 * once (edge/http/error-handler.ts). `docs/errors.md` lists them and a test keeps it in step.
 */
export const ERROR_CODES = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  BAD_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DEVICE_EXISTS: 409,
  DEVICE_INVALID: 422,
  USER_EXISTS: 409,
  RESIDENT_EXISTS: 409,
  CARD_BOUND: 409,
  CARD_INVALID: 422,
  ID_NUMBER_INVALID: 422,
  ID_NUMBER_TAKEN: 409,
  IMPORT_INVALID: 422,
  IMPORT_REFUSED: 422,
  IMPORT_TOO_LARGE: 413,
  POINTS_INVALID: 422,
  POINTS_BALANCE: 409,
  POINTS_STOCK: 409,
  ALARM_RESOLVED: 409,
  SYNC_OFF: 409,
  NOTICE_INVALID: 422,
  PAYMENT_INVALID: 422,
  TERMINAL_BUSY: 409,
  TERMINAL_OFFLINE: 503,
  IDEMPOTENCY_MISMATCH: 422,
  NOT_VOIDABLE: 409,
  NOT_QUERYABLE: 409,
  RATE_LIMITED: 429,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class LinliError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'LinliError';
    this.code = code;
  }

  get statusCode(): number {
    return ERROR_CODES[this.code];
  }
}
