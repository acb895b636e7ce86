import type { AppealState } from '../../engine/workflows/appeal.ts';

/** GeoReport v2 knows two statuses: `open` (reported) and `closed` (resolved). */
export type Open311Status = 'open' | 'closed';

/**
 * Statuses of the servicerequestupdates extension (mySociety's values, which FixMyStreet maps onto
 * its own states: investigating, in progress, fixed, duplicate, unable to fix …).
 */
export type UpdateStatus =
  | 'open'
  | 'investigating'
  | 'in_progress'
  | 'fixed'
  | 'closed'
  | 'duplicate'
  | 'no_further_action';

/**
 * THE mapping of our appeal states onto Open311 — the one table in code (docs/channels/open311.md
 * shows the same). Only the terminal states are `closed`: an answered appeal still waits for the
 * centre's audit and the citizen's rating, and may be redone. A new state of the appeal workflow
 * does not compile until it is placed here.
 */
export const STATUS_TABLE = {
  received: { status: 'open', update: 'open' },
  answered_directly: { status: 'open', update: 'in_progress' },
  dispatched: { status: 'open', update: 'investigating' },
  return_requested: { status: 'open', update: 'investigating' },
  signed: { status: 'open', update: 'in_progress' },
  in_progress: { status: 'open', update: 'in_progress' },
  replied: { status: 'open', update: 'in_progress' },
  audited: { status: 'open', update: 'in_progress' },
  revisited: { status: 'open', update: 'in_progress' },
  suspended: { status: 'open', update: 'in_progress' },
  // Closed after the revisit: `fixed`, or `closed` when the citizen said it was not resolved.
  closed: { status: 'closed', update: 'fixed' },
  voided: { status: 'closed', update: 'no_further_action' },
  merged: { status: 'closed', update: 'duplicate' },
} as const satisfies Record<AppealState, { status: Open311Status; update: UpdateStatus }>;

/** States that are `open` and `closed`, for the `status` filter of GET requests. */
export const STATES_BY_STATUS: Record<Open311Status, string[]> = {
  open: Object.entries(STATUS_TABLE)
    .filter(([, v]) => v.status === 'open')
    .map(([k]) => k),
  closed: Object.entries(STATUS_TABLE)
    .filter(([, v]) => v.status === 'closed')
    .map(([k]) => k),
};

/** The GeoReport status of a case state (an unknown state counts as open). */
export function open311StatusOf(state: string): Open311Status {
  return (STATUS_TABLE as Record<string, { status: Open311Status }>)[state]?.status ?? 'open';
}

/** The extension's status after an event that left the case in `state`. */
export function updateStatusOf(state: string, resolved: boolean | null): UpdateStatus {
  if (state === 'closed' && resolved === false) return 'closed';
  return (STATUS_TABLE as Record<string, { update: UpdateStatus }>)[state]?.update ?? 'open';
}
