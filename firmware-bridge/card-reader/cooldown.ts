/**
 * The same-UID cooldown every card reader driver applies (DESIGN.md, "Card reader"): a card taps
 * once per presence, and a new presence of the same UID within the cooldown is ignored. Cards that
 * ignore HALT (the resident ID card) and serial readers that repeat the UID while a card lies on
 * them would otherwise tap again and again.
 *
 * The cooldown runs from the last moment the UID was seen: its last sighting, or the moment it left
 * the field when the reader tells (PC/SC does, a serial reader does not). Every sighting, ignored or
 * not, restarts it, so a card held on a repeating reader taps once however long it stays.
 */

/** The cooldown when the device's settings give none, in ms. */
export const DEFAULT_CARD_COOLDOWN_MS = 1500;

/** Options of {@link TapCooldown}. */
export interface TapCooldownOptions {
  /** How long after the last sighting a new presence of the same UID is still ignored, in ms. */
  cooldownMs?: number;
  /** Clock in ms; `Date.now` when absent. */
  now?: () => number;
}

/**
 * Decides which sightings of a UID are taps. Holds one entry per UID seen within the last
 * `cooldownMs` (older entries are dropped on each call), so memory stays bounded.
 */
export class TapCooldown {
  readonly cooldownMs: number;
  readonly #now: () => number;
  /** UID → when it was last seen (sighting or removal), in ms. */
  readonly #lastSeen = new Map<string, number>();

  constructor(options: TapCooldownOptions = {}) {
    this.cooldownMs = options.cooldownMs ?? DEFAULT_CARD_COOLDOWN_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A sighting of `uid` (a new presence on a PC/SC reader, a line from a serial reader). Returns
   * true when it is a tap to report, false when it falls within the cooldown of the last one.
   */
  seen(uid: string): boolean {
    const now = this.#now();
    this.#prune(now);
    const last = this.#lastSeen.get(uid);
    this.#lastSeen.set(uid, now);
    return last === undefined;
  }

  /** `uid` left the field now: the cooldown runs from this moment. */
  left(uid: string): void {
    const now = this.#now();
    this.#prune(now);
    this.#lastSeen.set(uid, now);
  }

  /** Number of UIDs currently within their cooldown. */
  get size(): number {
    this.#prune(this.#now());
    return this.#lastSeen.size;
  }

  #prune(now: number): void {
    for (const [uid, at] of this.#lastSeen) {
      // a clock that went backwards (NTP step) ends the cooldown rather than stretching it
      if (now - at >= this.cooldownMs || now < at) this.#lastSeen.delete(uid);
    }
  }
}
