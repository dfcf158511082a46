import { ApiKeyPlacement, AuditMode, AuthType, BurdenLevel, HttpMethod, OAuthClientAuth, ParameterLocation, StringFormat } from '@switchboard/contracts';
import { parse as parseYaml, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { integrationToDocument, parseIntegrationDocuments } from './document.js';

const BASIC = `
key: lookup
name: Lookup
description: Looks things up.
method: get
url_template: https://api.example.com/items/{item_id}
parameters:
  - name: item_id
    type: string
    in: path
    required: true
`;

describe('parseIntegrationDocuments', () => {
  it('reads short, case-insensitive enum names and enables a definition by default', () => {
    const { integrations, problems } = parseIntegrationDocuments(BASIC, 'lookup.yaml');
    expect(problems).toEqual([]);
    expect(integrations).toHaveLength(1);
    const [i] = integrations;
    expect(i?.enabled).toBe(true);
    expect(i?.method).toBe(HttpMethod.HTTP_METHOD_GET);
    expect(i?.urlTemplate).toBe('https://api.example.com/items/{item_id}');
    expect(i?.parameters[0]?.location).toBe(ParameterLocation.PARAMETER_LOCATION_PATH);
  });

  it('reads audit: strict (write-ahead intents for reads too)', () => {
    const { integrations, problems } = parseIntegrationDocuments(`${BASIC}audit: strict\n`, 'x.yaml');
    expect(problems).toEqual([]);
    expect(integrations[0]?.audit).toBe(AuditMode.AUDIT_MODE_STRICT);
    expect(parseIntegrationDocuments(BASIC, 'x.yaml').integrations[0]?.audit).toBe(AuditMode.AUDIT_MODE_UNSPECIFIED);
  });

  it('keeps an explicit enabled: false', () => {
    const { integrations } = parseIntegrationDocuments(`${BASIC}enabled: false\n`, 'x.yaml');
    expect(integrations[0]?.enabled).toBe(false);
  });

  it('reads camelCase names, proto enum names and the aliases of the friendly format', () => {
    const text = `
key: lookup
name: Lookup
description: Looks things up.
method: HTTP_METHOD_POST
urlTemplate: https://api.example.com/items
parameters:
  - name: when
    type: PARAMETER_TYPE_STRING
    location: body
    format: date-time
    default: "2025-01-01T00:00:00Z"
    enum: ["2025-01-01T00:00:00Z"]
    wireName: item.when
  - name: phone
    type: string
    in: body
    format: E164
auth:
  type: oauth2_client_credentials
  credentialId: c1
  api_key_in: query
  oauth2: { token_url: "https://a.example.com/t", client_auth: basic, extra_params: { audience: api } }
burden: { level: Verified, accepted_verification_methods: [otp] }
`;
    const { integrations, problems } = parseIntegrationDocuments(text, 'x.yaml');
    expect(problems).toEqual([]);
    const i = integrations[0]!;
    expect(i.method).toBe(HttpMethod.HTTP_METHOD_POST);
    expect(i.urlTemplate).toBe('https://api.example.com/items');
    expect(i.parameters[0]).toMatchObject({ format: StringFormat.STRING_FORMAT_DATE_TIME, defaultValue: '2025-01-01T00:00:00Z', enumValues: ['2025-01-01T00:00:00Z'], wireName: 'item.when' });
    expect(i.parameters[1]?.format).toBe(StringFormat.STRING_FORMAT_PHONE_E164);
    expect(i.auth).toMatchObject({ type: AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS, credentialId: 'c1', apiKeyIn: ApiKeyPlacement.API_KEY_PLACEMENT_QUERY });
    expect(i.auth?.oauth2).toMatchObject({ clientAuth: OAuthClientAuth.O_AUTH_CLIENT_AUTH_BASIC_HEADER, extraParams: { audience: 'api' } });
    expect(i.burden).toMatchObject({ level: BurdenLevel.BURDEN_LEVEL_VERIFIED, acceptedVerificationMethods: ['otp'] });
  });

  it('reads JSON', () => {
    const json = JSON.stringify({ key: 'lookup', name: 'Lookup', description: 'd', method: 'GET', url_template: 'https://a.example.com/' });
    const { integrations, problems } = parseIntegrationDocuments(json, 'lookup.json');
    expect(problems).toEqual([]);
    expect(integrations[0]?.key).toBe('lookup');
  });

  it('reads several documents, an integrations: list, and a top-level list', () => {
    const multi = `${BASIC}---\n${BASIC.replace('key: lookup', 'key: lookup_two')}`;
    expect(parseIntegrationDocuments(multi, 'x.yaml').integrations.map((i) => i.key)).toEqual(['lookup', 'lookup_two']);
    const wrapped = stringify({ integrations: [{ key: 'a', method: 'GET' }, { key: 'b', method: 'PUT' }] });
    expect(parseIntegrationDocuments(wrapped, 'x.yaml').integrations.map((i) => i.method)).toEqual([HttpMethod.HTTP_METHOD_GET, HttpMethod.HTTP_METHOD_PUT]);
    const list = JSON.stringify([{ key: 'a' }, { key: 'b' }]);
    expect(parseIntegrationDocuments(list, 'x.json').integrations).toHaveLength(2);
  });

  it('reports unknown fields with their path, a suggestion and the line', () => {
    const text = `${BASIC}    locaton: path\nretries: 3\n`;
    const { integrations, problems } = parseIntegrationDocuments(text, 'lookup.yaml');
    expect(integrations).toEqual([]);
    expect(problems).toEqual([
      { field: 'parameters[0].locaton', message: 'unknown field; did you mean location? (at lookup.yaml:12:14)' },
      { field: 'retries', message: 'unknown field (at lookup.yaml:13:10)' },
    ]);
  });

  it('reports bad enum names with the choices', () => {
    const text = BASIC.replace('method: get', 'method: FETCH').replace('in: path', 'in: cookie');
    const { problems } = parseIntegrationDocuments(text, 'lookup.yaml');
    expect(problems).toEqual([
      { field: 'method', message: 'unknown method "FETCH": use GET, POST, PUT, PATCH or DELETE (at lookup.yaml:5:9)' },
      { field: 'parameters[0].in', message: 'unknown location "cookie": use path, query, header or body (at lookup.yaml:10:9)' },
    ]);
  });

  it('reports values of the wrong kind rather than coercing them', () => {
    const text = `${BASIC}auth: { type: api_key, credential_id: 0042 }\ntimeouts: { total_ms: -1 }\nmax_redirects: two\nlimits: { rate_per_second: ten }\n`;
    const fields = parseIntegrationDocuments(text, 'x.yaml').problems.map((p) => [p.field, p.message.replace(/ \(at .*\)$/, '')]);
    expect(fields).toEqual([
      ['auth.credential_id', 'must be text; put the value in quotes'],
      ['timeouts.total_ms', 'must be a whole number of 0 or more'],
      ['max_redirects', 'must be a whole number of 0 or more'],
      ['limits.rate_per_second', 'must be a number'],
    ]);
  });

  it('refuses a field given twice under two spellings', () => {
    const text = `${BASIC}urlTemplate: https://other.example.com/\n`;
    const { problems } = parseIntegrationDocuments(text, 'x.yaml');
    expect(problems.map((p) => p.field)).toEqual(['urlTemplate']);
    expect(problems[0]?.message).toMatch(/same field as url_template/);
  });

  it('prefixes problems with the integration key, or its index, when a file holds several', () => {
    const text = `${BASIC}---\n${BASIC.replace('key: lookup', 'key: second').replace('type: string', 'type: text')}---\nname: no key\nmethod: GETT\n`;
    const { problems } = parseIntegrationDocuments(text, 'many.yaml');
    expect(problems.map((p) => p.field)).toEqual(['second.parameters[0].type', '[2].method']);
    expect(problems[0]?.message).toMatch(/at many\.yaml:21:11/);
  });

  it('refuses a key defined twice in one file', () => {
    const { problems } = parseIntegrationDocuments(`${BASIC}---\n${BASIC}`, 'x.yaml');
    expect(problems.map((p) => p.field)).toEqual(['lookup.key']);
  });

  it('reports YAML syntax errors with file, line and column', () => {
    const text = 'key: lookup\nname: [Lookup\ndescription: x\n';
    const { integrations, problems } = parseIntegrationDocuments(text, 'broken.yaml');
    expect(integrations).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.field).toMatch(/^broken\.yaml:\d+:\d+$/);
    expect(problems[0]?.message).not.toMatch(/\n/);
  });

  it('reports duplicate YAML keys at their line', () => {
    const { problems } = parseIntegrationDocuments('key: a\nname: A\nname: B\n', 'dup.yaml');
    expect(problems).toEqual([{ field: 'dup.yaml:3:1', message: 'Map keys must be unique' }]);
  });

  it('reports a JSON syntax error with its line', () => {
    const { problems } = parseIntegrationDocuments('{\n  "key": "a",\n  "name": "b"\n', 'bad.json');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.field).toMatch(/^bad\.json:\d+:\d+$/);
  });

  it('says so when a file holds nothing', () => {
    expect(parseIntegrationDocuments('# just a comment\n', 'empty.yaml').problems).toEqual([
      { field: 'empty.yaml', message: 'holds no integration definitions' },
    ]);
  });

  it('refuses values JSON cannot carry', () => {
    const text = `${BASIC}sample_arguments: { item_id: .inf }\n`;
    expect(parseIntegrationDocuments(text, 'x.yaml').problems.map((p) => p.field)).toEqual(['sample_arguments']);
  });
});

describe('integrationToDocument', () => {
  const FULL = `
key: booking
name: Book
description: Books.
enabled: false
method: POST
url_template: https://api.example.com/clinics/{clinic_id}/bookings
parameters:
  - name: date
    description: Day.
    type: string
    required: true
    format: date-time
    location: body
    wire_name: booking.date
  - name: count
    type: integer
    default_value: 1
    minimum: 0
    maximum: 3
    location: query
  - name: kind
    type: string
    enum_values: [a, b]
    min_length: 0
    pattern: ^[ab]$
    location: header
    wire_name: X-Kind
    sensitive: true
fixed_values:
  - name: clinic_id
    location: path
    value: "12"
context_values:
  - name: from
    location: body
    source: caller_number
auth:
  type: oauth2_refresh_token
  credential_id: crm
  oauth2:
    token_url: https://auth.example.com/token
    scopes: [a, b]
    extra_params:
      audience: x
    client_auth: body
  mtls_credential_id: cert
response_mapping:
  fields:
    - name: id
      expression: data.id
  summary_template: Booked {{id}}.
  max_result_bytes: 1000
burden:
  level: confirmed
  confirmation_prompt: Book {{date}}?
speech:
  start_phrase: One moment.
  delay_after_ms: 900
timeouts:
  total_ms: 9000
retry:
  max_attempts: 2
  idempotency_key_header: Idempotency-Key
breaker:
  error_threshold_percent: 30
  disabled: true
sample_arguments:
  date: 2025-03-03T10:00:00Z
body_encoding: form
allow_body_on_any_method: true
max_redirects: 2
signing_credential_id: sign
delivery:
  mode: async
  max_attempts: 5
  max_age_ms: 60000
limits:
  max_concurrent: 5
  rate_per_second: 2.5
  burst: 3
  max_queue_ms: 1500
audit: strict
`;

  it('prints what was written: snake_case, short names, nothing empty', () => {
    const { integrations, problems } = parseIntegrationDocuments(FULL, 'full.yaml');
    expect(problems).toEqual([]);
    const doc = integrationToDocument(integrations[0]!);
    expect(doc).toEqual(parseYaml(FULL));
    expect(parseIntegrationDocuments(stringify(doc), 'again.yaml').integrations).toEqual(integrations);
  });

  it('round-trips through JSON as well', () => {
    const { integrations } = parseIntegrationDocuments(FULL, 'full.yaml');
    const again = parseIntegrationDocuments(JSON.stringify(integrationToDocument(integrations[0]!)), 'full.json');
    expect(again.problems).toEqual([]);
    expect(again.integrations).toEqual(integrations);
  });

  it('leaves out enabled when true and keeps proto3 optional zeros', () => {
    const { integrations } = parseIntegrationDocuments(BASIC.replace('required: true', 'required: true\n    min_length: 0'), 'x.yaml');
    const doc = integrationToDocument(integrations[0]!);
    expect(doc).not.toHaveProperty('enabled');
    expect(doc['parameters']).toEqual([{ name: 'item_id', type: 'string', required: true, min_length: 0, location: 'path' }]);
  });
});
