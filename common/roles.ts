/**
 * Roles as data, shared by server and web. Adding a role fails to compile until every
 * `Record<Role, …>` map (permissions, labels) covers it.
 */
export const STAFF_ROLES = [
  'operator',
  'grid_worker',
  'cadre',
  'village_handler',
  'township_dispatcher',
  'department_handler',
  'county_dispatcher',
  'supervisor',
  'special_supervisor',
  'mediator',
  'expert',
  'lawyer',
  'revisit_agent',
  'leader',
  'admin',
] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];
export type Role = StaffRole | 'citizen';

/** Chinese labels (the web has its own translations; these serve logs, CSV and the CLI). */
export const ROLE_LABELS = {
  citizen: '群众',
  operator: '受理员',
  grid_worker: '网格员',
  cadre: '下沉干部',
  village_handler: '村社经办人',
  township_dispatcher: '乡镇中心调度员',
  department_handler: '部门经办人',
  county_dispatcher: '县中心调度员',
  supervisor: '督查员',
  special_supervisor: '特约监督员',
  mediator: '调解员',
  expert: '专家',
  lawyer: '律师',
  revisit_agent: '回访员',
  leader: '领导',
  admin: '系统管理员',
} as const satisfies Record<Role, string>;

/** Which kinds of org unit a role may belong to; checked when a user is created. */
export const ROLE_ORG_KINDS = {
  operator: ['centre'],
  grid_worker: ['village', 'centre'],
  cadre: ['village', 'township', 'department', 'centre', 'county'],
  village_handler: ['village', 'centre'],
  township_dispatcher: ['township', 'centre'],
  department_handler: ['department'],
  county_dispatcher: ['centre', 'county'],
  supervisor: ['centre', 'county'],
  special_supervisor: ['county', 'centre', 'township'],
  mediator: ['centre', 'township', 'village', 'department'],
  expert: ['centre', 'county', 'department'],
  lawyer: ['centre', 'county', 'department'],
  revisit_agent: ['centre', 'county'],
  leader: ['county', 'township', 'department'],
  admin: ['county'],
} as const satisfies Record<StaffRole, readonly string[]>;

/** True for a known staff role code. */
export function isStaffRole(value: string): value is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(value);
}
