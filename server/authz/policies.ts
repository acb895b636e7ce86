import type { StaffActor } from './actor.ts';
import { roleCan } from './permissions.ts';
import { pathInScope, scopeOf } from './scope.ts';

/**
 * Record-level rules as small named predicates. Each takes an actor and an already scoped record
 * and answers yes or no; responses turn them into `abilities` for the UI.
 */
interface Placed {
  county_code: string;
  path: string;
}

/** May edit an org unit's name or active flag: admins, inside their jurisdiction, not the county root. */
export function canUpdateOrg(actor: StaffActor, org: Placed & { kind: string }): boolean {
  return (
    roleCan(actor.role, 'org.update') &&
    org.kind !== 'county' &&
    pathInScope(scopeOf(actor), org.county_code, org.path)
  );
}

/** May edit a grid (name, assigned workers) inside the jurisdiction. */
export function canUpdateGrid(actor: StaffActor, grid: Placed): boolean {
  return roleCan(actor.role, 'grid.update') && pathInScope(scopeOf(actor), grid.county_code, grid.path);
}

/** May change a staff account: user managers inside their jurisdiction, never their own role or unit. */
export function canManageUser(actor: StaffActor, target: Placed & { id: string }): boolean {
  return roleCan(actor.role, 'user.manage') && pathInScope(scopeOf(actor), target.county_code, target.path);
}

/** May see a citizen's full phone number (audited each time). */
export function canRevealCitizen(actor: StaffActor, citizen: Placed): boolean {
  return (
    roleCan(actor.role, 'citizen.reveal') && pathInScope(scopeOf(actor), citizen.county_code, citizen.path)
  );
}
