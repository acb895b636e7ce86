import type { Kysely, Updateable } from 'kysely';
import type { TSchema } from 'typebox';
import type { StaffRole } from '../../common/roles.ts';
import type { Actor } from '../authz/actor.ts';
import type { AppContext } from '../context.ts';
import type { CasePending, CaseRow, CasesTable, DB } from '../db/schema.ts';

/** Stages that carry a deadline. */
export const STAGES = [
  'dispatch',
  'sign',
  'first_contact',
  'reply',
  'audit',
  'revisit',
  'report',
  'supervision',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * How an actor relates to a case. A rule in a workflow names a role and a relation; the engine
 * checks both. Centre staff act for the territorial unit their centre serves.
 */
export type Relation =
  | 'jurisdiction' // the case lies inside the actor's territory
  | 'lead' // the actor's unit is the lead unit (主办)
  | 'assist' // the actor's unit is an assisting unit (协办)
  | 'whistled' // the actor's department was whistled (吹哨报到)
  | 'reporter' // the actor reported the case (a grid worker's event)
  | 'owner'; // the citizen who submitted the appeal

export interface WhoRule {
  roles: readonly (StaffRole | 'citizen' | 'system')[];
  relation: Relation;
}

/** What an action does to deadlines: stages to close (done), to cancel, and to open. */
export interface DeadlineEffect {
  done?: readonly Stage[];
  cancel?: readonly Stage[] | 'all';
  set?: readonly Stage[];
}

/** Everything an action's effect may read. */
export interface ActionContext<I = Record<string, unknown>> {
  ctx: AppContext;
  trx: Kysely<DB>;
  actor: Actor;
  /** The acting unit (centre staff act for their territory's unit), null for citizens and system. */
  actorUnit: string | null;
  case: CaseRow;
  input: I;
  now: Date;
}

/** What an effect returns: column changes, the payload stored on the event, extra notifications. */
export interface EffectResult {
  set?: Omit<Updateable<CasesTable>, 'id' | 'county_code' | 'version' | 'pending'> & {
    pending?: CasePending;
  };
  /** Overrides the action's static `to` (e.g. audit approved → audited, rejected → in_progress). */
  to?: string;
  payload?: Record<string, unknown>;
  /** Deadline effects computed at run time, merged with the static ones. */
  deadlines?: DeadlineEffect;
  notify?: NotificationSpec[];
  /** Unit the event's metrics count for, when not the lead (a whistled department's report). */
  metricsUnit?: string;
}

export interface NotificationSpec {
  to: { kind: 'org' | 'user' | 'citizen'; id: string } | 'lead' | 'citizen' | 'supervisors';
  kind: string;
  title: string;
  body: string;
  sms?: boolean;
}

/** One action of a workflow: where it may start, who may take it, what it changes. */
export interface ActionDef<S extends string = string> {
  /** Chinese label (the UI translates by action code). */
  label: string;
  from: readonly S[];
  /** Next state; `null` stays in the current state (urge, notes, assisting replies). */
  to: S | null;
  who: readonly WhoRule[];
  /** TypeBox schema of the action's input. */
  input: TSchema;
  /** A named rule that must hold; returns a Chinese message when it does not. */
  guard?: (a: ActionContext<never>) => string | null | Promise<string | null>;
  effect?: (a: ActionContext<never>) => EffectResult | Promise<EffectResult>;
  deadlines?: DeadlineEffect;
  notify?: readonly NotificationSpec[];
}

/** A case type's workflow as data: states, actions, the initial state and the terminal ones. */
export interface WorkflowDef<S extends string = string, A extends string = string> {
  type: string;
  label: string;
  states: readonly S[];
  initial: S;
  terminal: readonly S[];
  /** Deadlines opened when a case of this type is received. */
  onReceive: DeadlineEffect;
  actions: Record<A, ActionDef<S>>;
}
