/**
 * What each role finds in the workbench: which screens appear in the menu and which work queues it
 * has. This only hides what the server refuses anyway (permissions in server/authz/permissions.ts,
 * actions in the workflow tables); the server's `abilities` decide what may be done on a case.
 */
import type { StaffRole } from '../../../common/roles.ts';
import type { Queue } from './api.ts';

export type Screen = 'workbench' | 'intake' | 'supervision' | 'revisit' | 'dashboard' | 'admin';

/** Roles holding `case.read`. */
const CASE_READERS: readonly StaffRole[] = [
  'operator',
  'grid_worker',
  'cadre',
  'village_handler',
  'township_dispatcher',
  'department_handler',
  'county_dispatcher',
  'supervisor',
  'revisit_agent',
];
/** Roles holding `case.intake`. */
const INTAKE: readonly StaffRole[] = [
  'operator',
  'grid_worker',
  'cadre',
  'village_handler',
  'township_dispatcher',
  'county_dispatcher',
];
/** Who may urge (催办) — and, for supervisors, issue supervision orders. */
const SUPERVISION: readonly StaffRole[] = ['supervisor', 'county_dispatcher', 'township_dispatcher'];
/** Who may record a revisit (回访). */
const REVISIT: readonly StaffRole[] = [
  'revisit_agent',
  'county_dispatcher',
  'township_dispatcher',
  'operator',
];
/** Roles holding `assessment.read`. */
const ASSESSMENT: readonly StaffRole[] = [
  'township_dispatcher',
  'county_dispatcher',
  'supervisor',
  'leader',
  'admin',
];
/** Roles that manage org units, users, categories, calendar or weights. */
const ADMIN: readonly StaffRole[] = ['admin'];

const has = (list: readonly StaffRole[], role: string) => (list as readonly string[]).includes(role);

/** The screens a role may use, in menu order. */
export function screensFor(role: string): Screen[] {
  const out: Screen[] = [];
  if (has(CASE_READERS, role)) out.push('workbench');
  if (has(INTAKE, role)) out.push('intake');
  if (has(SUPERVISION, role)) out.push('supervision');
  if (has(REVISIT, role)) out.push('revisit');
  if (has(ASSESSMENT, role)) out.push('dashboard');
  if (has(ADMIN, role)) out.push('admin');
  return out;
}

/** Where a role lands after signing in. */
export function homeFor(role: string): string {
  const s = screensFor(role);
  if (s.includes('workbench')) return '/staff';
  if (s.includes('dashboard')) return '/staff/dashboard';
  if (s.includes('admin')) return '/staff/admin';
  return '/staff/none';
}

/** The workbench queues of a role, most pressing first; `all` always last. */
export function queuesFor(role: string): Queue[] {
  switch (role) {
    case 'operator':
      return ['to_dispatch', 'to_revisit', 'due_soon', 'overdue', 'reported_by_me', 'all'];
    case 'county_dispatcher':
      return [
        'to_dispatch',
        'returned',
        'to_audit',
        'to_revisit',
        'to_sign',
        'in_progress',
        'due_soon',
        'overdue',
        'redo',
        'unsatisfied',
        'red',
        'all',
      ];
    case 'township_dispatcher':
      return [
        'to_dispatch',
        'to_sign',
        'in_progress',
        'returned',
        'to_audit',
        'to_revisit',
        'due_soon',
        'overdue',
        'redo',
        'unsatisfied',
        'whistled',
        'all',
      ];
    case 'department_handler':
      return ['to_sign', 'in_progress', 'whistled', 'due_soon', 'overdue', 'redo', 'all'];
    case 'village_handler':
      return ['to_sign', 'in_progress', 'due_soon', 'overdue', 'redo', 'reported_by_me', 'all'];
    case 'grid_worker':
    case 'cadre':
      return ['reported_by_me', 'to_sign', 'in_progress', 'all'];
    case 'supervisor':
      return ['due_soon', 'overdue', 'returned', 'redo', 'unsatisfied', 'red', 'all'];
    case 'revisit_agent':
      return ['to_revisit', 'unsatisfied', 'all'];
    default:
      return ['all'];
  }
}

/** The supervision screen's lists (督查). */
export const SUPERVISION_QUEUES: Queue[] = ['due_soon', 'overdue', 'returned', 'redo', 'unsatisfied', 'red'];

/** May urge inline (催办). */
export function canUrge(role: string): boolean {
  return has(SUPERVISION, role);
}

/** May issue supervision orders (督办: normal / yellow / red) — supervisors only. */
export function canSupervise(role: string): boolean {
  return role === 'supervisor';
}

/** May take appeals and events at the quick entry; events only for these roles (server rule). */
export function canIntakeEvents(role: string): boolean {
  return has(
    ['grid_worker', 'cadre', 'village_handler', 'township_dispatcher', 'county_dispatcher', 'operator'],
    role,
  );
}
