import type { Role } from '../../common/roles.ts';

/** Every permission the server checks. A closed list: a typo does not compile. */
export const PERMISSIONS = [
  'org.read',
  'org.update',
  'org.import',
  'grid.read',
  'grid.update',
  'grid.import',
  'user.read',
  'user.manage',
  'citizen.read',
  'citizen.reveal',
  'audit.read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const STAFF_READ: Permission[] = ['org.read', 'grid.read'];

/**
 * What each role may do, before jurisdiction. Jurisdiction (which records) is decided in
 * `scope.ts`; record-level rules in `policies.ts`.
 */
export const ROLE_PERMISSIONS = {
  citizen: [],
  operator: [...STAFF_READ, 'citizen.read', 'citizen.reveal'],
  grid_worker: [...STAFF_READ, 'citizen.read'],
  cadre: [...STAFF_READ],
  village_handler: [...STAFF_READ, 'user.read', 'citizen.read', 'citizen.reveal'],
  township_dispatcher: [...STAFF_READ, 'grid.update', 'user.read', 'citizen.read', 'citizen.reveal'],
  department_handler: [...STAFF_READ, 'citizen.read'],
  county_dispatcher: [...STAFF_READ, 'user.read', 'citizen.read', 'citizen.reveal'],
  supervisor: [...STAFF_READ, 'user.read', 'citizen.read', 'audit.read'],
  special_supervisor: ['org.read'],
  mediator: [...STAFF_READ, 'citizen.read'],
  expert: ['org.read'],
  lawyer: ['org.read'],
  revisit_agent: [...STAFF_READ, 'citizen.read', 'citizen.reveal'],
  leader: [...STAFF_READ, 'user.read'],
  admin: [
    'org.read',
    'org.update',
    'org.import',
    'grid.read',
    'grid.update',
    'grid.import',
    'user.read',
    'user.manage',
    'citizen.read',
    'audit.read',
  ],
} as const satisfies Record<Role, readonly Permission[]>;

/** Whether a role holds a permission. */
export function roleCan(role: Role, permission: Permission): boolean {
  return (ROLE_PERMISSIONS[role] as readonly Permission[]).includes(permission);
}
