import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import { AppError } from '../../lib/errors.ts';
import {
  ActionBody,
  CaseDetail,
  CaseIdParams,
  CaseListItem,
  CaseListQuery,
  DuplicateList,
  IntakeBody,
  Timeline,
} from './cases.schemas.ts';
import {
  act,
  caseDetail,
  intake,
  listCases,
  myCases,
  revealContact,
  suggestDuplicates,
  timeline,
} from './cases.service.ts';

/**
 * Every intake endpoint takes the idempotency key the same way: the `Idempotency-Key` header
 * (checked by `IntakeHeaders`: a malformed key is a 400, never silently ignored — that would make a
 * retry a second case) and/or the body's `idempotencyKey`; when both are sent they must agree.
 */
const IntakeHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 100,
      pattern: '^[A-Za-z0-9_.:-]+$',
      description: 'A key of your own per submission (a UUID): a retry with it answers the first case',
    }),
  ),
});

function idempotencyKey(header: string | undefined, body: string | undefined): string | undefined {
  if (header !== undefined && body !== undefined && header !== body) {
    throw new AppError('VALIDATION_FAILED', {
      details: [
        { field: 'idempotencyKey', message: '请求头 Idempotency-Key 与请求体中的 idempotencyKey 不一致' },
      ],
    });
  }
  return header ?? body;
}

/** The case engine's API: one entry, queues, detail, timeline and workflow actions. */
export function registerCaseRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/cases',
    {
      config: { access: { who: 'staff', permission: 'case.intake' } },
      schema: {
        summary: 'Receive an appeal or event (operator quick entry, grid worker report)',
        description:
          'The one entry for staff channels. Routes the case (grid, village, level, suggested unit) and stores it with its first event and deadline before answering. ' +
          'The operator’s quick entry for the 12345 hotline and other calls is channel `phone`, a visitor at the centre `walk_in`. ' +
          'Send `Idempotency-Key` (and/or `idempotencyKey`; both must agree, else 400): the first answer is 201, a retry — ' +
          'also one racing the first — answers 200 with the same case (`replayed: true`) and makes nothing new, even if its ' +
          'body differs. Keys are per county: use a fresh random one (a UUID) per submission.',
        tags: ['cases'],
        headers: IntakeHeaders,
        body: IntakeBody,
        response: { 201: CaseDetail, 200: CaseDetail, ...STAFF_ERRORS },
      },
    },
    async (req, reply) => {
      const r = await intake(
        ctx,
        staffOf(req),
        {
          ...req.body,
          idempotencyKey: idempotencyKey(req.headers['idempotency-key'], req.body.idempotencyKey),
        },
        metaOf(req),
      );
      return reply.status(r.replayed ? 200 : 201).send(r);
    },
  );

  app.get(
    '/api/cases',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'My work queues',
        description:
          'Cases visible to me (territory, units sent to, reported by me) in a queue: to_dispatch, to_sign, in_progress, due_soon, overdue, returned, whistled, to_audit, to_revisit, redo, unsatisfied, red, reported_by_me, all; with filters and a keyword search.',
        tags: ['cases'],
        querystring: CaseListQuery,
        response: {
          200: Type.Object({ items: Type.Array(CaseListItem), hasMore: Type.Boolean() }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => listCases(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/cases/duplicates',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'Suggest duplicates while typing',
        description:
          'Open appeals of the same category nearby with similar words (Intl.Segmenter), scored with reasons.',
        tags: ['cases'],
        querystring: Type.Object(
          {
            categoryId: Type.String({ pattern: '^[A-Z]{2}[0-9]{0,2}$' }),
            text: Type.String({ minLength: 2, maxLength: 2000 }),
            lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
            lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: DuplicateList, ...STAFF_ERRORS },
      },
    },
    (req) => suggestDuplicates(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/cases/:id',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'One case',
        description:
          'The case with masked contact, routing reasons, units, deadlines, whistles and the actions I may take. 404 outside my reach.',
        tags: ['cases'],
        params: CaseIdParams,
        response: { 200: CaseDetail, ...STAFF_ERRORS },
      },
    },
    (req) => caseDetail(ctx, staffOf(req), req.params.id),
  );

  app.get(
    '/api/cases/:id/timeline',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'Case timeline',
        description: 'Every event with who, when and what.',
        tags: ['cases'],
        params: CaseIdParams,
        response: { 200: Timeline, ...STAFF_ERRORS },
      },
    },
    (req) => timeline(ctx, staffOf(req), req.params.id),
  );

  app.get(
    '/api/cases/:id/duplicates',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'Possible duplicates of a case',
        description: 'Candidates to merge with (合并重复件).',
        tags: ['cases'],
        params: CaseIdParams,
        response: { 200: DuplicateList, ...STAFF_ERRORS },
      },
    },
    async (req) => {
      const actor = staffOf(req);
      const d = await caseDetail(ctx, actor, req.params.id);
      return suggestDuplicates(ctx, actor, {
        text: `${d.case.title} ${d.case.description}`,
        categoryId: d.case.category?.id ?? '',
        lon: d.case.location.lon ?? undefined,
        lat: d.case.location.lat ?? undefined,
        excludeId: d.case.id,
      });
    },
  );

  app.post(
    '/api/cases/:id/actions/:action',
    {
      config: { access: { who: 'staff', permission: 'case.read' } },
      schema: {
        summary: 'Take a workflow action',
        description:
          'dispatch, sign, first_contact, reply, audit, revisit, close, redo, request_return, decide_return, request_extension, decide_extension, reassign, merge, suspend, resume, void, urge, supervise, whistle, report, report_done, rate_report, answer_directly, assist_reply (appeals); solve_on_spot, handle, verify (events). ' +
          'A wrong state answers 409 INVALID_TRANSITION, a failed rule 409 GUARD_FAILED, a stale version 409 CONFLICT.',
        tags: ['cases'],
        params: Type.Object({
          id: Type.String({ format: 'uuid' }),
          action: Type.String({ pattern: '^[a-z_]{3,30}$' }),
        }),
        body: ActionBody,
        response: { 200: CaseDetail, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) =>
      act(
        ctx,
        staffOf(req),
        req.params.id,
        req.params.action,
        req.body.input ?? {},
        req.body.version,
        metaOf(req),
      ),
  );

  app.post(
    '/api/cases/:id/reveal-contact',
    {
      config: { access: { who: 'staff', permission: 'case.reveal_contact' } },
      schema: {
        summary: 'Reveal the citizen’s contact on a case',
        description: 'Audited; never for anonymous appeals; confidential ones only for the centre.',
        tags: ['cases'],
        params: CaseIdParams,
        body: Type.Object(
          { reason: Type.String({ minLength: 2, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            name: Type.Union([Type.String(), Type.Null()]),
            phone: Type.Union([Type.String(), Type.Null()]),
          }),
          ...STAFF_ERRORS,
        },
      },
    },
    (req) => revealContact(ctx, staffOf(req), req.params.id, req.body.reason, metaOf(req)),
  );

  // Citizens: their own appeals.
  app.post(
    '/api/my/cases',
    {
      config: { access: { who: 'citizen' }, rateLimit: { max: 20, timeWindow: '1 hour' } },
      schema: {
        summary: 'Submit an appeal (citizen)',
        description:
          'Stored before the answer; returns the tracking code (201). `Idempotency-Key` (and/or `idempotencyKey`) makes ' +
          'retries safe: a retry answers 200 with the first case (`replayed: true`); a key another caller used answers 404.',
        tags: ['my'],
        headers: IntakeHeaders,
        body: IntakeBody,
        response: { 201: CaseDetail, 200: CaseDetail, ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      if (req.body.type === 'event') throw new AppError('FORBIDDEN');
      const r = await intake(
        ctx,
        req.actor,
        {
          ...req.body,
          type: 'appeal',
          idempotencyKey: idempotencyKey(req.headers['idempotency-key'], req.body.idempotencyKey),
        },
        metaOf(req),
      );
      return reply.status(r.replayed ? 200 : 201).send(r);
    },
  );

  app.get(
    '/api/my/cases',
    {
      config: { access: { who: 'citizen' } },
      schema: {
        summary: 'My appeals (citizen)',
        description: 'The signed-in citizen’s appeals, newest first.',
        tags: ['my'],
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                code: Type.String(),
                state: Type.String(),
                stateLabel: Type.String(),
                title: Type.String(),
                receivedAt: Type.String(),
                repliedAt: Type.Union([Type.String(), Type.Null()]),
                closedAt: Type.Union([Type.String(), Type.Null()]),
                satisfaction: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...errors(401),
        },
      },
    },
    (req) => {
      if (req.actor.kind !== 'citizen') throw new AppError('AUTH_REQUIRED');
      return myCases(ctx, req.actor.citizenId, req.actor.countyCode);
    },
  );

  app.get(
    '/api/my/cases/:id',
    {
      config: { access: { who: 'citizen' } },
      schema: {
        summary: 'One of my appeals with its public timeline',
        description: '404 for anyone else’s appeal.',
        tags: ['my'],
        params: CaseIdParams,
        response: { 200: Type.Object({ detail: CaseDetail, timeline: Timeline }), ...errors(400, 401, 404) },
      },
    },
    async (req) => ({
      detail: await caseDetail(ctx, req.actor, req.params.id),
      timeline: await timeline(ctx, req.actor, req.params.id),
    }),
  );

  app.post(
    '/api/my/cases/:id/rate',
    {
      config: { access: { who: 'citizen' } },
      schema: {
        summary: 'Rate the answer (citizen)',
        description:
          'Resolved? and satisfied / basically satisfied / unsatisfied, with a comment. Unsatisfied goes to the centre for redo.',
        tags: ['my'],
        params: CaseIdParams,
        body: Type.Object(
          {
            version: Type.Optional(Type.Integer({ minimum: 1 })),
            resolved: Type.Boolean(),
            satisfaction: Type.Union([
              Type.Literal('satisfied'),
              Type.Literal('basically_satisfied'),
              Type.Literal('unsatisfied'),
            ]),
            comment: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: CaseDetail, ...errors(400, 401, 403, 404, 409) },
      },
    },
    (req) => {
      const { version, ...rating } = req.body;
      return act(
        ctx,
        req.actor,
        req.params.id,
        'rate',
        { ...rating, method: 'portal' },
        version,
        metaOf(req),
      );
    },
  );
}
