import { Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { STAFF_ERRORS } from '../../http/schemas.ts';
import { exportRankings, getWeights, putWeights, rankings, summary } from './assessment.service.ts';

// ---------------------------------------------------------------------------------------------
// Schemas

const Day = (description: string) =>
  Type.String({
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
    description: `${description} (YYYY-MM-DD, China time)`,
  });

const PeriodFields = {
  from: Type.Optional(Day('First day, included; default 1 January of the year of `to`')),
  to: Type.Optional(Day('Last day, included; default today')),
  type: Type.Optional(
    Type.Union([Type.Literal('appeal'), Type.Literal('event')], {
      description: 'Case type whose metrics are counted; default appeal (诉求)',
    }),
  ),
};

const RankByField = Type.Union([Type.Literal('township'), Type.Literal('department')], {
  description: 'Rank townships (乡镇/街道) or county departments (县直部门)',
});

const SummaryQuery = Type.Object(
  {
    ...PeriodFields,
    orgId: Type.Optional(
      Type.String({
        pattern: '^[0-9A-Z]{1,32}$',
        description: 'Org unit to assess; default the caller’s own unit. Outside the jurisdiction: 404',
      }),
    ),
  },
  { additionalProperties: false },
);

const RankingsQuery = Type.Object({ ...PeriodFields, by: RankByField }, { additionalProperties: false });

const ExportQuery = Type.Object(
  {
    ...PeriodFields,
    by: RankByField,
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx'), Type.Literal('json')], {
      description: 'csv (UTF-8 with BOM, rates in percent), xlsx, or the same table as JSON',
    }),
  },
  { additionalProperties: false },
);

const Rate = (description: string) =>
  Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
    description: `${description}; a fraction (0.9704 = 97.04 %), null when the denominator is 0`,
  });

const Count = Type.Integer({ minimum: 0 });

const CountsSchema = Type.Object({
  received: Count,
  dispatched: Count,
  answeredDirectly: Count,
  signed: Count,
  signedOnTime: Count,
  firstContact: Count,
  responseOk: Type.Integer({ minimum: 0, description: 'Signed and first contact both on time' }),
  replied: Count,
  repliedOnTime: Count,
  closed: Count,
  closedCohort: Count,
  closedOnTime: Count,
  rated: Count,
  resolved: Count,
  satisfied: Count,
  basicallySatisfied: Count,
  unsatisfied: Count,
  redo: Count,
  extension: Count,
  returned: Count,
  voided: Count,
  merged: Count,
  overdue: Type.Integer({ minimum: 0, description: 'Deadlines gone overdue, all stages' }),
});

const RatesSchema = Type.Object({
  closure: Rate('办结率 closed ÷ received'),
  response: Rate('响应率 signed and first contact on time ÷ dispatched'),
  resolution: Rate('解决率 resolved ÷ rated'),
  satisfaction: Rate('满意率 (satisfied + basicWeight × basically satisfied) ÷ rated'),
  onTime: Rate('按时办结率 closed on time ÷ closed'),
  redo: Rate('重办率 redo ÷ dispatched'),
  extension: Rate('延期率 extensions granted ÷ dispatched'),
  return: Rate('退单率 return requests ÷ dispatched'),
});

const WhistleSchema = Type.Object({
  whistles: Count,
  whistledDepartments: Count,
  reports: Count,
  lateReports: Count,
  meanReportMinutes: Type.Union([Type.Number(), Type.Null()]),
  ratings: Count,
  meanRating: Type.Union([Type.Number(), Type.Null()]),
});

const WeightsFields = {
  response: Type.Number({ minimum: 0, maximum: 100, description: 'Weight of the response rate, percent' }),
  resolution: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'Weight of the resolution rate, percent',
  }),
  satisfaction: Type.Number({
    minimum: 0,
    maximum: 100,
    description: 'Weight of the satisfaction rate, percent',
  }),
  basicWeight: Type.Number({
    minimum: 0,
    maximum: 1,
    description: 'How much one 基本满意 counts in the satisfaction rate',
  }),
};
const WeightsSchema = Type.Object(WeightsFields);

const FiguresFields = {
  counts: CountsSchema,
  overdueByStage: Type.Record(Type.String(), Type.Integer(), { description: 'Overdue deadlines per stage' }),
  rates: RatesSchema,
  whistle: WhistleSchema,
  score: Type.Union([Type.Number(), Type.Null()], {
    description:
      'Composite score 0..100: weighted mean of the response, resolution and satisfaction rates; rates without a denominator are left out and the other weights rescaled; null when none can be measured',
  }),
};

const OrgRefSchema = Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String() });

const PeriodOut = {
  type: Type.String(),
  from: Type.String(),
  to: Type.String(),
  weights: WeightsSchema,
};

const SummaryResponse = Type.Object({
  org: OrgRefSchema,
  view: Type.Union([Type.Literal('territory'), Type.Literal('unit')], {
    description:
      'territory: everything located in the org’s area; unit: what the department led or was whistled to',
  }),
  ...PeriodOut,
  ...FiguresFields,
});

const RankingsResponse = Type.Object({
  by: RankByField,
  ...PeriodOut,
  items: Type.Array(Type.Object({ rank: Type.Integer({ minimum: 1 }), org: OrgRefSchema, ...FiguresFields })),
});

const ExportTable = Type.Object({
  by: RankByField,
  type: Type.String(),
  from: Type.String(),
  to: Type.String(),
  headers: Type.Array(Type.String()),
  rows: Type.Array(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Null()]))),
});

const WeightsResponse = Type.Object({
  ...WeightsFields,
  isDefault: Type.Boolean({ description: 'True while the county has not set its own weights' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  defaults: WeightsSchema,
});

const WeightsBody = Type.Object(WeightsFields, { additionalProperties: false });

const ASSESSMENT_ERRORS = STAFF_ERRORS;

// ---------------------------------------------------------------------------------------------
// Routes

/** Assessment (考核): figures, rankings, exports and the weights of the composite score. */
export function registerAssessmentRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/assessment/summary',
    {
      config: { access: { who: 'staff', permission: 'assessment.read' } },
      schema: {
        summary: 'Assessment figures of one org for a period',
        description:
          'Counts, rates (办结率, 响应率, 解决率, 满意率, 按时办结率, 重办率, 延期率, 退单率), whistle-and-report figures and the composite score, from the assessment rollups. ' +
          'Without `orgId`, the caller’s own unit: a territory’s figures cover everything located in it, a department’s what it led or was whistled to. An org outside the jurisdiction answers 404.',
        tags: ['assessment'],
        querystring: SummaryQuery,
        response: { 200: SummaryResponse, ...ASSESSMENT_ERRORS },
      },
    },
    (req) => summary(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/assessment/rankings',
    {
      config: { access: { who: 'staff', permission: 'assessment.read' } },
      schema: {
        summary: 'Townships or departments ranked by composite score',
        description:
          'Figures from the caller’s own territory (or department), grouped by township or by department and sorted by composite score (unscored last), with all the rates.',
        tags: ['assessment'],
        querystring: RankingsQuery,
        response: { 200: RankingsResponse, ...ASSESSMENT_ERRORS },
      },
    },
    (req) => rankings(ctx, staffOf(req), req.query),
  );

  app.get(
    '/api/assessment/export',
    {
      config: { access: { who: 'staff', permission: 'assessment.read' } },
      schema: {
        summary: 'Download the rankings as CSV or XLSX',
        description:
          'The rankings table with Chinese headers. CSV is UTF-8 with a BOM and CRLF (Excel shows the Chinese), rates in percent; XLSX keeps rates as numbers formatted as percent. ' +
          '`Content-Disposition` carries an ASCII file name and the Chinese one in `filename*`. `format=json` answers the same table as JSON.',
        tags: ['assessment'],
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The rankings table',
            content: {
              'text/csv': { schema: Type.String({ description: 'UTF-8 with BOM' }) },
              'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
                schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }),
              },
              'application/json': { schema: ExportTable },
            },
          },
          ...ASSESSMENT_ERRORS,
        },
      },
    },
    async (req, reply) => {
      const out = await exportRankings(ctx, staffOf(req), req.query);
      if (out.kind === 'json') return reply.type('application/json; charset=utf-8').send(out.body);
      return reply.type(out.contentType).header('content-disposition', out.disposition).send(out.body);
    },
  );

  app.get(
    '/api/assessment/weights',
    {
      config: { access: { who: 'staff', permission: 'assessment.read' } },
      schema: {
        summary: 'Weights of the composite score',
        description:
          'The county’s weights of the response, resolution and satisfaction rates (percent, summing to 100) and how much 基本满意 counts; the defaults (30/35/35, 0.8) until an admin sets them.',
        tags: ['assessment'],
        response: { 200: WeightsResponse, ...ASSESSMENT_ERRORS },
      },
    },
    (req) => getWeights(ctx, staffOf(req)),
  );

  app.put(
    '/api/assessment/weights',
    {
      config: { access: { who: 'staff', permission: 'assessment.manage' } },
      schema: {
        summary: 'Set the weights of the composite score',
        description:
          'Admins only. The three weights are each 0..100 and must sum to 100; basicWeight is 0..1. Recorded in the audit log as settings.updated.',
        tags: ['assessment'],
        body: WeightsBody,
        response: { 200: WeightsResponse, ...ASSESSMENT_ERRORS },
      },
    },
    (req) => putWeights(ctx, staffOf(req), req.body, metaOf(req)),
  );
}
