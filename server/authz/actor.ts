import type { StaffRole } from '../../common/roles.ts';

/** Who is acting: resolved once per request from the session, passed to every service call. */
export type Actor =
  | {
      kind: 'staff';
      userId: string;
      username: string;
      role: StaffRole;
      orgId: string;
      countyCode: string;
      /** Territorial path this user may see (from their org's scope_path). */
      scopePath: string;
    }
  | { kind: 'citizen'; citizenId: string; countyCode: string }
  | { kind: 'anonymous'; countyCode: string }
  | { kind: 'system'; countyCode: string };

export type StaffActor = Extract<Actor, { kind: 'staff' }>;

/** A system actor for CLI commands, seeding and jobs. */
export function systemActor(countyCode: string): Actor {
  return { kind: 'system', countyCode };
}
