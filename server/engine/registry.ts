import { AppError } from '../lib/errors.ts';
import type { WorkflowDef } from './workflow.ts';
import { APPEAL_WORKFLOW } from './workflows/appeal.ts';
import { EVENT_WORKFLOW } from './workflows/event.ts';

/**
 * Case types and their workflows. A new type (dispute, legal_aid, …) is one more entry here with its
 * own table; the engine does not change.
 */
export const WORKFLOWS: Record<string, WorkflowDef> = {
  appeal: APPEAL_WORKFLOW as unknown as WorkflowDef,
  event: EVENT_WORKFLOW as unknown as WorkflowDef,
};

export type CaseType = keyof typeof WORKFLOWS;

/** The workflow of a case type. */
export function workflowOf(type: string): WorkflowDef {
  const wf = WORKFLOWS[type];
  if (!wf)
    throw new AppError('VALIDATION_FAILED', {
      details: [{ field: 'type', message: `未知的案件类型：${type}` }],
    });
  return wf;
}
