/** Where a resident lives, in parts; the one-line `address` is made from them when not given. */
export interface HomeParts {
  community?: string | undefined;
  building?: string | undefined;
  unit?: string | undefined;
  room?: string | undefined;
}

/**
 * `{community: '幸福里', building: '3', unit: '2', room: '401'}` → `幸福里 3栋2单元401`. A bare
 * number gets its word (栋, 单元); a part that already has one (`3号楼`, `A座`, `401室`) is kept.
 */
export function formatAddress(p: HomeParts): string | undefined {
  const b = p.building?.trim();
  const u = p.unit?.trim();
  const r = p.room?.trim();
  const home = `${b ? (/^\d+$/.test(b) ? `${b}栋` : b) : ''}${u ? (/^\d+$/.test(u) ? `${u}单元` : u) : ''}${r ?? ''}`;
  const line = [p.community?.trim(), home].filter((x) => x).join(' ');
  return line || undefined;
}

/**
 * The address after the parts change from `before` to `after`: recomputed when the old one was
 * absent or was itself made from the old parts; kept when someone wrote it by hand.
 */
export function followAddress(
  address: string | undefined,
  before: HomeParts,
  after: HomeParts,
): string | undefined {
  if (address === undefined || address === formatAddress(before)) return formatAddress(after);
  return address;
}
