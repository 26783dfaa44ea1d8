/**
 * Which PC/SC reader belongs to which card reader device. A device registered with `reader` (a
 * substring of the reader name) takes a reader matching it; one without takes any reader that no
 * other device has claimed and that no other device's `reader` names (DESIGN.md, "Devices").
 *
 * The edge makes one registry and passes it to all its PC/SC drivers; it is not a global. Claims are
 * first come, first served, and sticky: a claim outlives its reader's detachment (and a pcscd
 * restart), so each device gets its own reader back. With several readers and devices without
 * `reader`, which device gets which reader is not defined: name them.
 */

/** Shared claims of PC/SC readers among the drivers of one process. */
export class PcscReaderClaims {
  /** owner → its `reader` filter (`undefined`: any reader). */
  readonly #owners = new Map<string, string | undefined>();
  /** reader name → owner. */
  readonly #claims = new Map<string, string>();

  /** Adds a device; `filter` is its `reader` option. */
  register(owner: string, filter: string | undefined): void {
    this.#owners.set(owner, filter);
  }

  /** Removes a device and its claim. */
  unregister(owner: string): void {
    this.#owners.delete(owner);
    this.release(owner);
  }

  /** The owner of `reader`, if claimed. */
  ownerOf(reader: string): string | undefined {
    return this.#claims.get(reader);
  }

  /** The reader `owner` holds, if any. */
  claimOf(owner: string): string | undefined {
    for (const [reader, holder] of this.#claims) if (holder === owner) return reader;
    return undefined;
  }

  /** Whether `owner` may take `reader`: it matches its filter, nobody else holds it or names it. */
  mayClaim(owner: string, reader: string): boolean {
    const holder = this.#claims.get(reader);
    if (holder !== undefined) return holder === owner;
    const filter = this.#owners.get(owner);
    if (filter !== undefined) return reader.includes(filter);
    for (const [other, otherFilter] of this.#owners) {
      if (other !== owner && otherFilter !== undefined && reader.includes(otherFilter)) return false;
    }
    return true;
  }

  /** Gives `reader` to `owner`, dropping the reader it held before; false when it may not. */
  claim(owner: string, reader: string): boolean {
    if (!this.mayClaim(owner, reader)) return false;
    this.release(owner);
    this.#claims.set(reader, owner);
    return true;
  }

  /** Why `owner` has no attached reader, given the readers attached now, in plain words. */
  whyNoReader(owner: string, attached: Iterable<string>): string {
    if (this.claimOf(owner) !== undefined) return 'reader detached';
    const filter = this.#owners.get(owner);
    const matching = [...attached].filter((name) => filter === undefined || name.includes(filter));
    if (matching.length > 0) return 'every matching reader is claimed by another device';
    return filter === undefined ? 'no reader attached' : `no reader matching "${filter}"`;
  }

  /** Drops `owner`'s claim. */
  release(owner: string): void {
    for (const [reader, holder] of this.#claims) if (holder === owner) this.#claims.delete(reader);
  }
}
