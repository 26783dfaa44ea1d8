import { EventEmitter } from 'node:events';
import { v7 as uuidv7 } from 'uuid';
import { ConfigRequestError, type ConfigSyncStore } from '../../cloud-sync/client/config-client.js';
import type {
  ConfigBundle,
  ConfigConflict,
  ConfigEdit,
  ConfigEditsAnswer,
  ConfigKind,
} from '../../cloud-sync/protocol/config.js';
import type { PointsScheme } from '../points/points-types.js';
import { entityKey, type RejectedEdit } from '../state/config-sync-state.js';
import type { EdgeState } from '../state/edge-state.js';
import type { StateStore } from '../store/state-store.js';
import { applyBundle, ENROL_BY } from './bundle-apply.js';
import { collectPending, rejectEdit, settleEdits } from './edit-settle.js';
import { localEntities } from './entity-mapping.js';
import type { ResidentKeys } from './resident-mapping.js';
import { anyChange, type ConfigChanges, entityProblem } from './take-entity.js';

/**
 * The edge's side of the config sync over its state file (docs/config-sync.md, "On the edge"):
 * the bundle version, per entity the cloud version it is based on and the edit pending, the
 * conflicts and rejected edits. Every change is one state write. Emits `changed` after a write
 * that changed rows (a bundle, or a conflict's winner taken), for the services that derive state.
 */
export class EdgeConfigStore extends EventEmitter<{ changed: [ConfigChanges] }> implements ConfigSyncStore {
  constructor(
    private readonly state: StateStore<EdgeState>,
    private readonly keys: ResidentKeys,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  version(): number {
    return this.state.data.configSync.version;
  }

  counts(): { pendingEdits: number; openConflicts: number; rejected: number } {
    const cs = this.state.data.configSync;
    let pendingEdits = 0;
    for (const m of Object.values(cs.entities)) pendingEdits += (m.pending ? 1 : 0) + (m.next ? 1 : 0);
    return { pendingEdits, openConflicts: cs.conflicts.length, rejected: cs.rejected.length };
  }

  get appliedAt(): string | null {
    return this.state.data.configSync.appliedAt ?? null;
  }

  get enrolled(): boolean {
    return this.state.data.configSync.enrolled;
  }

  /** Bumped by each local edit: the sync loop compares it to know one is waiting. */
  get editSeq(): number {
    return this.state.data.configSync.editSeq;
  }

  async pendingEdits(max: number): Promise<ConfigEdit[]> {
    const { edits, unfit } = collectPending(this.state.data, max, this.keys);
    const cs = this.state.data.configSync;
    const unsent = edits.filter((e) => !cs.entities[entityKey(e.kind, e.id)]?.pending?.sent);
    if (unsent.length > 0 || unfit.length > 0) {
      const at = this.#iso();
      // No await between reading the edits and this update: it starts from the same state.
      await this.state.update((d) => {
        for (const e of unsent) {
          const p = d.configSync.entities[entityKey(e.kind, e.id)]?.pending;
          if (p?.edit === e.edit) p.sent = true;
        }
        for (const u of unfit) rejectEdit(d, u, at);
      });
    }
    return edits;
  }

  async settle(sent: readonly ConfigEdit[], answer: ConfigEditsAnswer): Promise<void> {
    let changes: ConfigChanges | undefined;
    await this.state.update((d) => {
      changes = settleEdits(d, sent, answer, this.keys, this.#iso());
    });
    if (changes && anyChange(changes)) this.emit('changed', changes);
  }

  /** Applies a bundle in one write; a bundle holding any entity that does not fit is refused whole. */
  async apply(bundle: ConfigBundle): Promise<void> {
    for (const e of bundle.entities) {
      const problem = entityProblem(e);
      if (problem)
        throw new ConfigRequestError(
          'bundle-invalid',
          `the bundle holds an entity that does not fit: ${problem}`,
        );
    }
    let changes: ConfigChanges | undefined;
    await this.state.update((d) => {
      changes = applyBundle(d, bundle, this.keys, this.#iso());
    });
    if (changes && anyChange(changes)) this.emit('changed', changes);
  }

  /**
   * First contact (the edge worked alone, then got a cloud): every entity it holds that never came
   * from the cloud becomes a pending edit, so the cloud learns the house's residents, cards, users…
   * The points scheme in use (the file's) becomes the catalogue's entities first. Once only.
   * Returns how many were enrolled, by kind.
   */
  async enrol(scheme?: PointsScheme): Promise<Partial<Record<ConfigKind, number>>> {
    if (this.state.data.configSync.enrolled) return {};
    const counts: Partial<Record<ConfigKind, number>> = {};
    const at = this.#iso();
    await this.state.update((d) => {
      if (!d.pointsCatalogue && scheme) {
        const { items, goods, ...rules } = scheme;
        d.pointsCatalogue = {
          rules: structuredClone(rules),
          items: structuredClone(items),
          goods: structuredClone(goods),
        };
      }
      const cs = d.configSync;
      for (const { kind, id } of localEntities(d)) {
        const key = entityKey(kind, id);
        const meta = cs.entities[key] ?? { base: 0 };
        if (meta.base !== 0 || meta.pending || meta.next) continue;
        meta.pending = { edit: uuidv7(), op: 'put', at, by: ENROL_BY };
        cs.entities[key] = meta;
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      cs.enrolled = true;
      cs.editSeq++;
    });
    return counts;
  }

  conflicts(): readonly ConfigConflict[] {
    return this.state.data.configSync.conflicts;
  }

  rejected(): readonly RejectedEdit[] {
    return this.state.data.configSync.rejected;
  }

  /** Removes a conflict from the list (seen and dealt with); false when there is none by that edit. */
  async dismissConflict(edit: string): Promise<boolean> {
    if (!this.state.data.configSync.conflicts.some((c) => c.edit === edit)) return false;
    await this.state.update((d) => {
      d.configSync.conflicts = d.configSync.conflicts.filter((c) => c.edit !== edit);
    });
    return true;
  }

  async dismissRejected(edit: string): Promise<boolean> {
    if (!this.state.data.configSync.rejected.some((c) => c.edit === edit)) return false;
    await this.state.update((d) => {
      d.configSync.rejected = d.configSync.rejected.filter((c) => c.edit !== edit);
    });
    return true;
  }

  #iso(): string {
    return new Date(this.now()).toISOString();
  }
}
