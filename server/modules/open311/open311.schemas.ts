import { type TSchema, Type } from 'typebox';

/**
 * JSON shapes of GeoReport v2 (they serialise the JSON answers, so a field not listed here never
 * leaves the server) and the OpenAPI descriptions of both formats. The published JSON schemas of
 * the spec (fixtures/georeport-v2/) validate these answers in the tests.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateTime = Type.String({ format: 'date-time', description: 'W3C date-time with time zone' });

export const FormatParam = Type.Union([Type.Literal('xml'), Type.Literal('json')], {
  description: 'Response format: `xml` (required by the spec) or `json`; anything else is 404',
});

export const JurisdictionQuery = {
  jurisdiction_id: Type.Optional(
    Type.String({
      description:
        'Optional: this endpoint serves one county. When given it must be the county code (e.g. 360121) or the ' +
        'host name of this site; anything else is 404.',
    }),
  ),
};

const ApiKeyArg = Type.Optional(
  Type.String({ description: 'API key (`gz311_…`), issued by the county administrators' }),
);

export const Service = Type.Object({
  service_code: Type.String({ description: 'Category code, e.g. CJ01' }),
  service_name: Type.String(),
  description: Type.String(),
  metadata: Type.Boolean({ description: 'Always true: every service has the same few attributes' }),
  type: Type.Union([Type.Literal('realtime'), Type.Literal('batch'), Type.Literal('blackbox')], {
    description: 'Always `batch`: POST answers with a token',
  }),
  keywords: Type.String({ description: 'Comma-separated' }),
  group: Type.String({ description: 'The top-level category' }),
});

export const ServiceDefinition = Type.Object({
  service_code: Type.String(),
  attributes: Type.Array(
    Type.Object({
      variable: Type.Boolean(),
      code: Type.String(),
      datatype: Type.Union(
        ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'].map((d) =>
          Type.Literal(d),
        ),
      ),
      required: Type.Boolean(),
      datatype_description: Nullable(Type.String()),
      order: Type.Integer(),
      description: Type.String(),
      values: Type.Array(Type.Object({ key: Type.String(), name: Type.String() })),
    }),
  ),
});

export const Discovery = Type.Object({
  changeset: Type.String(),
  contact: Type.String(),
  key_service: Type.String(),
  endpoints: Type.Array(
    Type.Object({
      specification: Type.String(),
      url: Type.String(),
      changeset: Type.String(),
      type: Type.String(),
      formats: Type.Array(Type.String()),
    }),
  ),
});

export const PostResponse = Type.Array(
  Type.Object({
    token: Type.String({ description: 'Use it with GET tokens/{token}' }),
    service_notice: Nullable(Type.String()),
    account_id: Nullable(Type.String()),
  }),
);

export const TokenResponse = Type.Array(
  Type.Object({ service_request_id: Type.String(), token: Type.String() }),
);

export const ServiceRequest = Type.Object({
  service_request_id: Type.String({ description: 'The case code, e.g. S2611300001' }),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  status_notes: Nullable(Type.String()),
  service_name: Nullable(Type.String()),
  service_code: Type.String(),
  description: Nullable(Type.String({ description: 'Only for requests received through Open311' })),
  agency_responsible: Nullable(Type.String({ description: 'The lead unit once dispatched' })),
  service_notice: Nullable(Type.String()),
  requested_datetime: DateTime,
  updated_datetime: Nullable(DateTime),
  expected_datetime: Nullable(DateTime),
  address: Nullable(Type.String()),
  lat: Nullable(Type.Number()),
  long: Nullable(Type.Number()),
  media_url: Nullable(Type.String()),
});

export const ServiceRequests = Type.Array(ServiceRequest);

export const RequestUpdate = Type.Object({
  update_id: Type.String(),
  service_request_id: Type.String(),
  status: Type.String({
    description: 'open, investigating, in_progress, fixed, closed, duplicate or no_further_action',
  }),
  updated_datetime: DateTime,
  description: Type.String(),
  media_url: Type.String(),
});

export const RequestUpdates = Type.Array(RequestUpdate);

export const UpdatePostResponse = Type.Array(Type.Object({ update_id: Type.String() }));

export const Errors = Type.Array(
  Type.Object({
    code: Type.Integer({ description: 'The HTTP status: 400, 403, 404, 413, 429 …' }),
    description: Type.String(),
  }),
  { title: 'Open311Errors' },
);

/** A response in both formats: the JSON schema, and the XML document described in words. */
export function bothFormats(json: TSchema, xml: string, description = 'OK') {
  return {
    description,
    content: {
      'application/json': { schema: json },
      'text/xml': { schema: Type.String({ description: `XML: ${xml}` }) },
    },
  };
}

/** The spec's error list in both formats, for the statuses a route may answer. */
export function open311Errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      bothFormats(
        Errors,
        '<errors><error><code>…</code><description>…</description></error></errors>',
        'Errors in the spec’s format',
      ),
    ]),
  );
}

const Text = (description: string) => Type.Optional(Type.String({ description }));

/** POST requests: the spec's form fields; `attribute[code]=value` come besides. */
export const PostRequestFields = {
  api_key: ApiKeyArg,
  ...JurisdictionQuery,
  service_code: Text('Required: a service_code from GET services'),
  lat: Text('WGS84 latitude; lat & long, address_string or address_id is required'),
  long: Text('WGS84 longitude'),
  address_string: Text('Address as people write it'),
  address_id: Text('An address id of another system (kept in the description)'),
  email: Text('Reporter e-mail: kept encrypted, never shown to clients'),
  device_id: Text('Accepted and not kept'),
  account_id: Text('The client’s id of the reporter’s account: echoed back'),
  first_name: Text('Reporter given name: kept encrypted with the case'),
  last_name: Text('Reporter family name'),
  phone: Text('Reporter phone: kept encrypted with the case, masked for handlers'),
  description: Text('Free text, at most 4,000 characters'),
  media_url: Text('A link to the client’s own copy of a photo (never fetched)'),
};

/** POST servicerequestupdates: the fields FixMyStreet's client sends. */
export const PostUpdateFields = {
  api_key: ApiKeyArg,
  ...JurisdictionQuery,
  service_request_id: Text('Required: one of this key’s own requests'),
  update_id: Text(
    'Required: the client’s id of the update (a retry is stored once); update_id_ext also works',
  ),
  update_id_ext: Text('Older clients’ name for update_id'),
  status: Text('Required: OPEN, CLOSED, FIXED, IN_PROGRESS …'),
  updated_datetime: Text('Required: W3C date-time with time zone'),
  description: Text('The reporter’s comment'),
  media_url: Text('A link to a photo the client hosts'),
  email: Text('Accepted and not kept'),
  first_name: Text('Accepted and not kept'),
  last_name: Text('Accepted and not kept'),
  phone: Text('Accepted and not kept'),
};

export const ListQuery = Type.Object({
  ...JurisdictionQuery,
  api_key: ApiKeyArg,
  service_request_id: Text('Comma-separated case codes; overrides every other filter'),
  service_code: Text('Comma-separated service codes'),
  start_date: Text('W3C date-time; the window may not span more than 90 days'),
  end_date: Text('W3C date-time'),
  status: Text('open, closed or open,closed'),
  page: Text('Pagination extension: page number from 1'),
  page_size: Text('Pagination extension: 1 to 1000 (default 1000)'),
});

export const UpdatesQuery = Type.Object({
  ...JurisdictionQuery,
  api_key: ApiKeyArg,
  start_date: Text('W3C date-time; the window may not span more than 90 days'),
  end_date: Text('W3C date-time'),
  page: Text('Page number from 1'),
  page_size: Text('1 to 1000 (default 1000)'),
});

export const PlainQuery = Type.Object({ ...JurisdictionQuery, api_key: ApiKeyArg });
