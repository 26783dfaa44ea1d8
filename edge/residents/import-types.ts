/**
 * Shapes of `POST /api/residents/import` (edge/residents/resident-import.ts). No runtime code and
 * no imports: edge/api/types.ts re-exports them for the browser app.
 */

/** The columns (CSV) or keys (JSON) an import understands; docs/api.md lists their Chinese names. */
export type ImportField =
  | 'id'
  | 'name'
  | 'community'
  | 'building'
  | 'unit'
  | 'room'
  | 'address'
  | 'phone'
  | 'idNumber'
  | 'branch'
  | 'roles'
  | 'cardUid'
  | 'cardKind';

/** Why a row (or the header) is refused. `message` says it in English; pages translate `code`. */
export type ImportProblemCode =
  | 'header-missing'
  | 'column-unknown'
  | 'column-duplicate'
  | 'csv-quote'
  | 'csv-unterminated'
  | 'extra-fields'
  | 'row-not-object'
  | 'value-invalid'
  | 'too-long'
  | 'name-missing'
  | 'resident-id-invalid'
  | 'resident-duplicate'
  | 'phone-invalid'
  | 'id-empty'
  | 'id-old-15'
  | 'id-length'
  | 'id-format'
  | 'id-birthdate'
  | 'id-check-digit'
  | 'id-excel-number'
  | 'id-number-duplicate'
  | 'id-number-taken'
  | 'role-invalid'
  | 'card-uid-invalid'
  | 'card-uid-random'
  | 'card-duplicate'
  | 'card-bound'
  | 'card-inactive'
  | 'card-kind-invalid'
  | 'card-kind-without-uid';

/**
 * One reason a row is refused. Never holds a value of the file (no name, phone or ID number):
 * it points at the row, the line and the column instead.
 */
export interface ImportProblem {
  /** 1-based data row (the header is row 0); absent for a problem of the whole header. */
  row?: number;
  /** 1-based line of the file where the row starts (CSV; JSON: where its object starts). */
  line?: number;
  /** The field concerned, when one is. */
  field?: ImportField;
  /** 1-based column of a CSV header problem. */
  column?: number;
  code: ImportProblemCode;
  message: string;
  /** Another row of the file this one clashes with (a duplicate), by row and line. */
  otherRow?: number;
  otherLine?: number;
  /** The resident already holding the ID number or the card (an id, never a name). */
  residentId?: string;
}

/** What an accepted row does (or would do, on a dry run). */
export interface ImportOutcome {
  row: number;
  line?: number;
  /** The resident's id (new residents get `r-NNNN`). */
  id: string;
  action: 'created' | 'updated' | 'unchanged';
  /** Names of the fields set or changed (never their values). */
  fields: string[];
  card?: { uid: string; kind: 'resident' | 'party'; action: 'bound' | 'unchanged' };
}

/** The answer of an import: 200 when applied or a dry run, inside a 422 `IMPORT_REFUSED` otherwise. */
export interface ImportReport {
  format: 'csv' | 'json';
  /** How the bytes were read: `utf-8`, `gb18030` (GBK files too), `utf-16le`, `utf-16be`. */
  encoding: string;
  /** Whether the file began with a byte order mark. */
  bom: boolean;
  dryRun: boolean;
  /** True once written; false on a dry run and whenever any row was refused (then nothing is). */
  applied: boolean;
  /** Data rows read (blank lines not counted). */
  rows: number;
  refusedRows: number;
  created: number;
  updated: number;
  unchanged: number;
  cardsBound: number;
  problems: ImportProblem[];
  outcomes: ImportOutcome[];
}
