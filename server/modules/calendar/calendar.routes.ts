import { type TOptional, type TSchema, Type } from 'typebox';
import type { AppContext } from '../../context.ts';
import { STAGES } from '../../engine/workflow.ts';
import { metaOf, staffOf } from '../../http/access.ts';
import type { App } from '../../http/app.ts';
import { errors, STAFF_ERRORS } from '../../http/schemas.ts';
import {
  deleteCalendarOverride,
  getCalendarYear,
  getTimeLimits,
  putCalendarOverride,
  putTimeLimits,
  URGENCIES,
} from './calendar.service.ts';

const CalendarDay = Type.Object({
  date: Type.String({ description: 'YYYY-MM-DD, China time' }),
  weekday: Type.Integer({ minimum: 0, maximum: 6, description: '0 = Sunday' }),
  working: Type.Boolean({ description: 'Effective: what the deadline engine counts' }),
  source: Type.Union([Type.Literal('package'), Type.Literal('override')]),
  kind: Type.Union([Type.Literal('holiday'), Type.Literal('adjusted_workday'), Type.Literal('override')]),
  name: Type.Union([Type.String(), Type.Null()], { description: 'Holiday name from chinese-days (元旦 …)' }),
  nameEn: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()], { description: 'The admin’s note on an override' }),
});

const CalendarYear = Type.Object({
  year: Type.Integer(),
  known: Type.Boolean({ description: 'Whether chinese-days or an override covers this year' }),
  knownYears: Type.Array(Type.Integer()),
  months: Type.Array(Type.Object({ month: Type.Integer(), days: Type.Array(CalendarDay) })),
});

const DateParams = Type.Object({
  date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'YYYY-MM-DD' }),
});

const DayStatus = Type.Object({
  date: Type.String(),
  working: Type.Boolean(),
  override: Type.Union([Type.Object({ working: Type.Boolean(), note: Type.String() }), Type.Null()]),
});

const Unit = Type.Union([
  Type.Literal('hours'),
  Type.Literal('working_hours'),
  Type.Literal('working_days'),
  Type.Literal('natural_days'),
]);
const Limit = Type.Object(
  { amount: Type.Number({ exclusiveMinimum: 0, maximum: 10000 }), unit: Unit },
  { additionalProperties: false },
);
const ShownLimit = Type.Object({
  amount: Type.Number(),
  unit: Unit,
  overridden: Type.Boolean(),
  default: Type.Object({ amount: Type.Number(), unit: Unit }),
});
/** An object with one property per key (stages, urgencies), each required or each optional. */
function keyed<K extends string, T extends TSchema>(keys: readonly K[], schema: T) {
  return Type.Object(Object.fromEntries(keys.map((k) => [k, schema])) as { [P in K]: T }, {
    additionalProperties: false,
  });
}
function keyedOptional<K extends string, T extends TSchema>(keys: readonly K[], schema: T) {
  return Type.Object(
    Object.fromEntries(keys.map((k) => [k, Type.Optional(schema)])) as { [P in K]: TOptional<T> },
    { additionalProperties: false },
  );
}
const Overrides = keyedOptional(STAGES, keyedOptional(URGENCIES, Limit));
const TimeLimits = Type.Object({
  limits: keyed(STAGES, keyed(URGENCIES, ShownLimit)),
  overrides: Overrides,
  updatedAt: Type.Union([Type.String(), Type.Null()], {
    description: 'Send it back with a change; null while nothing is overridden',
  }),
});

/** The working calendar (holidays, adjusted working days, overrides) and the time-limit rules. */
export function registerCalendarRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/calendar',
    {
      config: { access: { who: 'staff' } },
      schema: {
        summary: 'The working calendar of a year',
        description:
          'Per month, the holidays and adjusted working days (调休) from chinese-days and the county’s overrides, ' +
          'with the working status deadlines are counted on; and the years the calendar knows.',
        tags: ['calendar'],
        querystring: Type.Object(
          { year: Type.Integer({ minimum: 2000, maximum: 2100 }) },
          { additionalProperties: false },
        ),
        response: { 200: CalendarYear, ...STAFF_ERRORS },
      },
    },
    (req) => getCalendarYear(ctx, staffOf(req), req.query.year),
  );

  app.put(
    '/api/calendar/overrides/:date',
    {
      config: { access: { who: 'staff', permission: 'calendar.manage' } },
      schema: {
        summary: 'Make a day working or non-working',
        description:
          'Adds or replaces the county’s override for one day (a year chinese-days does not know yet, a local ' +
          'holiday). Deadlines computed from now on follow it; stored deadlines do not move. Audited.',
        tags: ['calendar'],
        params: DateParams,
        body: Type.Object(
          { working: Type.Boolean(), note: Type.Optional(Type.String({ maxLength: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: DayStatus, ...STAFF_ERRORS },
      },
    },
    (req) => putCalendarOverride(ctx, staffOf(req), req.params.date, req.body, metaOf(req)),
  );

  app.delete(
    '/api/calendar/overrides/:date',
    {
      config: { access: { who: 'staff', permission: 'calendar.manage' } },
      schema: {
        summary: 'Remove a day’s override',
        description:
          'The day falls back to chinese-days (or Monday–Friday). 404 when it has no override. Audited.',
        tags: ['calendar'],
        params: DateParams,
        response: { 200: DayStatus, ...STAFF_ERRORS },
      },
    },
    (req) => deleteCalendarOverride(ctx, staffOf(req), req.params.date, metaOf(req)),
  );

  app.get(
    '/api/settings/time-limits',
    {
      config: { access: { who: 'staff', permission: 'calendar.manage' } },
      schema: {
        summary: 'Time limits per stage and urgency',
        description:
          'The default limits (DESIGN §4) merged with the county’s overrides. The reply limit normally comes ' +
          'from the category; an override of stage reply replaces it for every category.',
        tags: ['calendar'],
        response: { 200: TimeLimits, ...STAFF_ERRORS },
      },
    },
    (req) => getTimeLimits(ctx, staffOf(req)),
  );

  app.put(
    '/api/settings/time-limits',
    {
      config: { access: { who: 'staff', permission: 'calendar.manage' } },
      schema: {
        summary: 'Replace the time-limit overrides',
        description:
          'Stages and urgencies left out use the defaults; `{}` removes every override. Send the `updatedAt` ' +
          'you read: 409 CONFLICT if someone changed them first. Applies to deadlines set from now on. Audited.',
        tags: ['calendar'],
        body: Type.Object(
          {
            overrides: Overrides,
            // Null first: with type coercion on, a string branch first would turn null into "".
            updatedAt: Type.Union([Type.Null(), Type.String({ maxLength: 40 })]),
          },
          { additionalProperties: false },
        ),
        response: { 200: TimeLimits, ...STAFF_ERRORS, ...errors(409) },
      },
    },
    (req) =>
      putTimeLimits(
        ctx,
        staffOf(req),
        { overrides: req.body.overrides, updatedAt: req.body.updatedAt },
        metaOf(req),
      ),
  );
}
