import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import { auditOf, type TrackedEdit, trackEdit } from '../config-sync/track-edit.js';
import { LinliError } from '../errors.js';
import type { EdgeState, NoticeRow } from '../state/edge-state.js';
import type { RecordLog } from '../store/record-log.js';
import type { StateStore } from '../store/state-store.js';

export interface NoticeInput {
  title: string;
  body: string;
  from?: string;
  until?: string;
  pinned?: boolean;
}

/** Pinned first, then the newest. */
function order(a: NoticeRow, b: NoticeRow): number {
  return Number(Boolean(b.pinned)) - Number(Boolean(a.pinned)) || b.updatedAt.localeCompare(a.updatedAt);
}

/**
 * Notices for the residents (公告): edited by staff here or on the cloud (config kind `notice`),
 * shown on the kiosk's attract screen while current (`from` ≤ now < `until`). Every edit is a
 * `registry` record (id and field names, never the text) and a pending config edit. Emits `changed`
 * after any change, the cloud's included ({@link NoticeService.changedElsewhere}), so screens reload.
 */
export class NoticeService extends EventEmitter<{ changed: [] }> {
  constructor(
    private readonly state: StateStore<EdgeState>,
    private readonly records: RecordLog,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  list(): NoticeRow[] {
    return [...this.state.data.notices].sort(order);
  }

  /** The notices to show now (or at `at`), pinned first. */
  current(at = this.now()): NoticeRow[] {
    return this.list().filter(
      (n) => (!n.from || Date.parse(n.from) <= at) && (!n.until || Date.parse(n.until) > at),
    );
  }

  get(id: string): NoticeRow {
    const n = this.state.data.notices.find((x) => x.id === id);
    if (!n) throw new LinliError('NOT_FOUND', `no notice ${id}`);
    return n;
  }

  async create(input: NoticeInput, by: string): Promise<NoticeRow> {
    const at = this.#iso();
    const row: NoticeRow = { id: uuidv7(), ...clean(input), createdAt: at, updatedAt: at };
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      d.notices.push(row);
      tracked = trackEdit(d, 'notice', row.id, 'put', by, at);
    });
    await this.audit('notice.created', row.id, Object.keys(clean(input)), by, tracked);
    this.emit('changed');
    return row;
  }

  /** Replaces a notice's fields (those left out are cleared). */
  async update(id: string, input: NoticeInput, by: string): Promise<NoticeRow> {
    const before = this.get(id);
    const at = this.#iso();
    const next: NoticeRow = { id, ...clean(input), createdAt: before.createdAt, updatedAt: at };
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      const i = d.notices.findIndex((x) => x.id === id);
      if (i < 0) throw new LinliError('NOT_FOUND', `no notice ${id}`);
      d.notices[i] = next;
      tracked = trackEdit(d, 'notice', id, 'put', by, at);
    });
    const fields = ['title', 'body', 'from', 'until', 'pinned'].filter(
      (f) => JSON.stringify(before[f as keyof NoticeRow]) !== JSON.stringify(next[f as keyof NoticeRow]),
    );
    await this.audit('notice.updated', id, fields, by, tracked);
    this.emit('changed');
    return next;
  }

  async remove(id: string, by: string): Promise<void> {
    this.get(id);
    let tracked: TrackedEdit | undefined;
    await this.state.update((d) => {
      d.notices = d.notices.filter((x) => x.id !== id);
      tracked = trackEdit(d, 'notice', id, 'delete', by, this.#iso());
    });
    await this.audit('notice.deleted', id, [], by, tracked);
    this.emit('changed');
  }

  /** The cloud changed notices (a bundle was applied): screens reload. */
  changedElsewhere(): void {
    this.emit('changed');
  }

  private async audit(
    type: 'notice.created' | 'notice.updated' | 'notice.deleted',
    id: string,
    fields: string[],
    by: string,
    tracked: TrackedEdit | undefined,
  ): Promise<void> {
    await this.records.append('registry', type, {
      entity: 'notice',
      id,
      fields,
      by,
      ...(tracked ? auditOf(tracked) : {}),
    });
  }

  #iso(): string {
    return new Date(this.now()).toISOString();
  }
}

/** Checks the times and drops empty optional fields. */
function clean(input: NoticeInput): Omit<NoticeRow, 'id' | 'createdAt' | 'updatedAt'> {
  const from = input.from ? iso(input.from, 'from') : undefined;
  const until = input.until ? iso(input.until, 'until') : undefined;
  if (from && until && Date.parse(until) <= Date.parse(from)) {
    throw new LinliError('NOTICE_INVALID', 'a notice must end (until) after it starts (from)');
  }
  if (!input.title.trim()) throw new LinliError('NOTICE_INVALID', 'a notice needs a title');
  return {
    title: input.title.trim(),
    body: input.body,
    ...(from ? { from } : {}),
    ...(until ? { until } : {}),
    ...(input.pinned ? { pinned: true } : {}),
  };
}

function iso(text: string, field: string): string {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new LinliError('NOTICE_INVALID', `${field} is not a time (ISO-8601)`);
  return new Date(ms).toISOString();
}
