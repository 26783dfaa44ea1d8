import type { EdgeState } from '../state/edge-state.js';
import type { Member } from './points-ledger.js';

export const PARTY_MEMBER_ROLE = 'party-member';

/**
 * Party members as points rank them: residents with the `party-member` role or an active party
 * card, with their branch and community.
 */
export function partyMembers(state: EdgeState): readonly Member[] {
  // Every state update replaces the arrays (state-store.ts), so the last answer holds until then:
  // a tap asks for the members to rank, and 10,000 residents took milliseconds to go through.
  if (last?.residents === state.residents && last.cards === state.cards) return last.members;
  const members = findMembers(state);
  last = { residents: state.residents, cards: state.cards, members };
  return members;
}

let last: { residents: unknown; cards: unknown; members: readonly Member[] } | undefined;

function findMembers(state: EdgeState): Member[] {
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
