import { Type } from 'typebox';

/** The one error body every failing endpoint answers with. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. NOT_FOUND' }),
      message: Type.String({ description: 'A message for people, Chinese unless English was asked for' }),
      details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
    requestId: Type.String(),
  },
  { title: 'Error' },
);

/** Standard error responses to merge into a route's `response` map. */
export function errors(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

/** Errors every signed-in route may answer. */
export const STAFF_ERRORS = errors(400, 401, 403, 404);
