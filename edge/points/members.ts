import type { EdgeState } from '../state/edge-state.js';
import type { Member } from './points-ledger.js';

export const PARTY_MEMBER_ROLE = 'party-member';

/**
 * Party members as points rank them: residents with the `party-member` role or an active party
 * card, with their branch and community.
 */
export function partyMembers(state: EdgeState): Member[] {
  const carded = new Set<string>();
  for (const c of state.cards) if (c.kind === 'party' && c.state === 'active') carded.add(c.residentId);
  const out: Member[] = [];
  for (const r of state.residents) {
    if (!carded.has(r.id) && !r.roles.includes(PARTY_MEMBER_ROLE)) continue;
    const { branch, community } = r;
    out.push({ id: r.id, ...(branch ? { branch } : {}), ...(community ? { community } : {}) });
  }
  return out;
}
