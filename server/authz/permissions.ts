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
  'case.read',
  'case.intake',
  'case.reveal_contact',
  'category.manage',
  'calendar.manage',
  'assessment.read',
  'assessment.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const STAFF_READ: Permission[] = ['org.read', 'grid.read'];

/**
 * What each role may do, before jurisdiction. Jurisdiction (which records) is decided in
 * `scope.ts`; record-level rules in `policies.ts`.
 */
export const ROLE_PERMISSIONS = {
  citizen: [],
  operator: [
    ...STAFF_READ,
    'citizen.read',
    'citizen.reveal',
    'case.read',
    'case.intake',
    'case.reveal_contact',
  ],
  grid_worker: [...STAFF_READ, 'citizen.read', 'case.read', 'case.intake'],
  cadre: [...STAFF_READ, 'case.read', 'case.intake'],
  village_handler: [
    ...STAFF_READ,
    'user.read',
    'citizen.read',
    'citizen.reveal',
    'case.read',
    'case.intake',
    'case.reveal_contact',
  ],
  township_dispatcher: [
    ...STAFF_READ,
    'grid.update',
    'user.read',
    'citizen.read',
    'citizen.reveal',
    'case.read',
    'case.intake',
    'case.reveal_contact',
    'assessment.read',
  ],
  department_handler: [...STAFF_READ, 'citizen.read', 'case.read', 'case.reveal_contact'],
  county_dispatcher: [
    ...STAFF_READ,
    'user.read',
    'citizen.read',
    'citizen.reveal',
    'case.read',
    'case.intake',
    'case.reveal_contact',
    'assessment.read',
  ],
  supervisor: [...STAFF_READ, 'user.read', 'citizen.read', 'audit.read', 'case.read', 'assessment.read'],
  special_supervisor: ['org.read'],
  mediator: [...STAFF_READ, 'citizen.read'],
  expert: ['org.read'],
  lawyer: ['org.read'],
  revisit_agent: [...STAFF_READ, 'citizen.read', 'citizen.reveal', 'case.read', 'case.reveal_contact'],
  leader: [...STAFF_READ, 'user.read', 'assessment.read'],
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
    'category.manage',
    'calendar.manage',
    'assessment.read',
    'assessment.manage',
  ],
} as const satisfies Record<Role, readonly Permission[]>;

/** Whether a role holds a permission. */
export function roleCan(role: Role, permission: Permission): boolean {
  return (ROLE_PERMISSIONS[role] as readonly Permission[]).includes(permission);
}
