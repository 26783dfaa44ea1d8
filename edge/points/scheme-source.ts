import type { PointsCatalogueRow } from '../state/edge-state.js';
import { schemeProblem } from './catalogue.js';
import type { PointsScheme } from './points-types.js';

/** The scheme the config entities make, and why it cannot be used (then the caller keeps another). */
export interface CatalogueScheme {
  scheme: PointsScheme;
  problem?: string;
}

/**
 * The points scheme made of the config entities in the state (activities, goods and the scheme's
 * rules, from the cloud or enrolled from the file at first contact); undefined while the state has
 * none (the file's scheme holds then). Rules not yet set come from the file.
 */
export function catalogueScheme(
  cat: PointsCatalogueRow | undefined,
  file: PointsScheme,
): CatalogueScheme | undefined {
  if (!cat) return undefined;
  const { name, redeemable, balance, assessment } = cat.rules ?? file;
  const scheme: PointsScheme = {
    ...(name ? { name } : {}),
    items: cat.items,
    goods: cat.goods,
    redeemable,
    balance,
    assessment,
  };
  const problem = schemeProblem(scheme);
  return problem ? { scheme, problem } : { scheme };
}
