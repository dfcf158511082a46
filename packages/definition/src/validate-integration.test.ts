import {
  AuthType,
  BurdenLevel,
  CacheScope,
  ContextField,
  DeliveryMode,
  HttpMethod,
  Integration,
  ParameterLocation,
  ParameterType,
  StringFormat,
  type Parameter,
} from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { MAX_DEFINITION_BYTES } from './limits.js';
import { validateIntegration } from './validate-integration.js';

const { PARAMETER_LOCATION_PATH: PATH, PARAMETER_LOCATION_QUERY: QUERY, PARAMETER_LOCATION_HEADER: HEADER, PARAMETER_LOCATION_BODY: BODY } =
  ParameterLocation;
const { PARAMETER_TYPE_STRING: STRING, PARAMETER_TYPE_INTEGER: INTEGER, PARAMETER_TYPE_BOOLEAN: BOOLEAN } = ParameterType;

function param(p: Partial<Parameter> & Pick<Parameter, 'name' | 'type' | 'location'>): Parameter {
  return Integration.fromPartial({ parameters: [p] }).parameters[0] as Parameter;
}

/** A booking definition that uses every placement, trusted values, auth, mapping and a confirmed gate. */
function valid(): Integration {
  return Integration.fromPartial({
    key: 'book_visit',
    name: 'Book visit',
    description: 'Books a visit for a patient.',
    enabled: true,
    method: HttpMethod.HTTP_METHOD_POST,
    urlTemplate: 'https://api.example.com/clinics/{clinic_id}/patients/{patient_id}/visits?lang={lang}',
    parameters: [
      param({ name: 'patient_id', type: STRING, location: PATH, required: true }),
      param({ name: 'lang', type: STRING, location: QUERY, enumValues: ['en', 'es'], defaultValue: 'en' }),
      param({ name: 'dry_run', type: BOOLEAN, location: QUERY, wireName: 'dryRun' }),
      param({ name: 'trace', type: STRING, location: HEADER, wireName: 'X-Trace-Tag', maxLength: 40 }),
      param({ name: 'date', type: STRING, location: BODY, format: StringFormat.STRING_FORMAT_DATE, required: true, wireName: 'visit.date' }),
      param({ name: 'duration', type: INTEGER, location: BODY, minimum: 15, maximum: 120, wireName: 'visit.minutes' }),
    ],
    fixedValues: [{ name: 'clinic_id', location: PATH, value: '12' }, { name: 'source', location: BODY, value: 'voice' }],
    contextValues: [{ name: 'visit.caller', location: BODY, source: ContextField.CONTEXT_FIELD_CALLER_NUMBER }],
    auth: { type: AuthType.AUTH_TYPE_API_KEY, credentialId: 'clinic-key', apiKeyName: 'X-Clinic-Key' },
    responseMapping: { fields: [{ name: 'id', expression: 'data.id' }], summaryTemplate: 'Booked as {{id}}.' },
    burden: { level: BurdenLevel.BURDEN_LEVEL_CONFIRMED, confirmationPrompt: 'Book a visit on {{date}}?' },
    speech: { startPhrase: 'Booking it.', delayAfterMs: 1000 },
    timeouts: { totalMs: 8000, connectMs: 1000 },
    retry: { maxAttempts: 2, idempotencyKeyHeader: 'Idempotency-Key' },
    breaker: { errorThresholdPercent: 60 },
    sampleArguments: { patient_id: 'p1', date: '2025-03-03' },
    maxRedirects: 1,
  });
}

function fields(i: Integration): string[] {
  return validateIntegration(i).map((p) => p.field);
}

describe('validateIntegration', () => {
  it('accepts a complete, correct definition', () => {
    expect(validateIntegration(valid())).toEqual([]);
  });

  it('accepts a minimal GET with no auth, mapping or burden', () => {
    const i = Integration.fromPartial({
      key: 'ping',
      name: 'Ping',
      description: 'Checks the API is up.',
      method: HttpMethod.HTTP_METHOD_GET,
      urlTemplate: 'https://api.example.com/ping',
    });
    expect(validateIntegration(i)).toEqual([]);
  });

  const p = (i: Integration, n: number): Parameter => i.parameters[n] as Parameter;
  const matrix: [string, (i: Integration) => void, string][] = [
    ['key with capitals', (i) => (i.key = 'BookVisit'), 'key'],
    ['empty key', (i) => (i.key = ''), 'key'],
    ['key too long', (i) => (i.key = `a${'b'.repeat(64)}`), 'key'],
    ['empty name', (i) => (i.name = '  '), 'name'],
    ['description over the limit', (i) => (i.description = 'x'.repeat(5000)), 'description'],
    ['no method', (i) => (i.method = HttpMethod.HTTP_METHOD_UNSPECIFIED), 'method'],
    ['unrecognised method', (i) => (i.method = HttpMethod.UNRECOGNIZED), 'method'],
    ['ftp URL', (i) => (i.urlTemplate = 'ftp://api.example.com/x'), 'url_template'],
    ['placeholder in the host', (i) => (i.urlTemplate = 'https://{clinic_id}.example.com/{patient_id}?lang={lang}'), 'url_template'],
    ['path placeholder without a parameter', (i) => (i.urlTemplate = i.urlTemplate.replace('/visits', '/visits/{visit_id}')), 'url_template'],
    ['query placeholder without a query value', (i) => (i.urlTemplate += '&when={date}'), 'url_template'],
    ['path parameter without a placeholder', (i) => (i.urlTemplate = 'https://api.example.com/clinics/{clinic_id}/visits?lang={lang}'), 'parameters[0].name'],
    ['fixed path value without a placeholder', (i) => (i.urlTemplate = 'https://api.example.com/patients/{patient_id}/visits?lang={lang}'), 'fixed_values[0].name'],
    ['duplicate parameter names', (i) => (p(i, 2).name = 'lang'), 'parameters[2].name'],
    ['parameter name with a dash', (i) => (p(i, 3).name = 'trace-tag'), 'parameters[3].name'],
    ['two query values with one wire name', (i) => (p(i, 2).wireName = 'lang'), 'parameters[2].wire_name'],
    ['unknown type', (i) => (p(i, 1).type = ParameterType.UNRECOGNIZED), 'parameters[1].type'],
    ['no location', (i) => (p(i, 2).location = ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED), 'parameters[2].location'],
    ['enum value of the wrong type', (i) => (p(i, 1).enumValues = ['en', 3]), 'parameters[1].enum_values[1]'],
    ['default outside the enum', (i) => (p(i, 1).defaultValue = 'fr'), 'parameters[1].default_value'],
    ['default of the wrong type', (i) => (p(i, 5).defaultValue = 'thirty'), 'parameters[5].default_value'],
    ['default below the minimum', (i) => (p(i, 5).defaultValue = 5), 'parameters[5].default_value'],
    ['format on an integer', (i) => (p(i, 5).format = StringFormat.STRING_FORMAT_EMAIL), 'parameters[5].format'],
    ['max_length on an integer', (i) => (p(i, 5).maxLength = 3), 'parameters[5].max_length'],
    ['min_length above max_length', (i) => (p(i, 3).minLength = 50), 'parameters[3].min_length'],
    ['minimum on a string', (i) => (p(i, 4).minimum = 1), 'parameters[4].minimum'],
    ['minimum above maximum', (i) => (p(i, 5).minimum = 500), 'parameters[5].minimum'],
    ['pattern that does not compile', (i) => (p(i, 3).pattern = '(unclosed'), 'parameters[3].pattern'],
    ['pattern over the limit', (i) => (p(i, 3).pattern = 'a'.repeat(600)), 'parameters[3].pattern'],
    ['pattern with a look-ahead (RE2 has none)', (i) => (p(i, 3).pattern = '^(?=.*\\d)\\w+$'), 'parameters[3].pattern'],
    ['pattern with a look-behind', (i) => (p(i, 3).pattern = '(?<!x)y'), 'parameters[3].pattern'],
    ['pattern with a back-reference', (i) => (p(i, 3).pattern = '^(a)\\1$'), 'parameters[3].pattern'],
    ['pattern RE2 cannot hold', (i) => (p(i, 3).pattern = '^a{1001}$'), 'parameters[3].pattern'],
    ['fixed header value with CR/LF', (i) => i.fixedValues.push({ name: 'X-Tenant', location: HEADER, value: 'a\r\nX-Admin: 1' }), 'fixed_values[2].value'],
    ['fixed header value with a NUL', (i) => i.fixedValues.push({ name: 'X-Tenant', location: HEADER, value: 'a\u0000' }), 'fixed_values[2].value'],
    ['fixed header value beyond Latin-1', (i) => i.fixedValues.push({ name: 'X-Tenant', location: HEADER, value: 'clinic \u2603' }), 'fixed_values[2].value'],
    ['header parameter default with a line break', (i) => (p(i, 3).defaultValue = 'tag\nX-Admin: 1'), 'parameters[3].default_value'],
    ['header parameter enum value with a line break', (i) => (p(i, 3).enumValues = ['ok', 'tag\r\n']), 'parameters[3].enum_values[1]'],
    ['sample argument nested too deeply', (i) => (i.sampleArguments = { patient_id: 'p1', date: '2025-03-03', trace: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) as unknown }), 'sample_arguments.arguments'],
    ['header name with a space', (i) => (p(i, 3).wireName = 'X Trace'), 'parameters[3].wire_name'],
    ['forbidden header host', (i) => (p(i, 3).wireName = 'Host'), 'parameters[3].wire_name'],
    ['forbidden header proxy-*', (i) => (p(i, 3).wireName = 'Proxy-Authorization'), 'parameters[3].wire_name'],
    ['reserved header x-allison-*', (i) => (p(i, 3).wireName = 'X-Allison-Org'), 'parameters[3].wire_name'],
    ['header clashing with the API key header', (i) => (p(i, 3).wireName = 'x-clinic-key'), 'parameters[3].wire_name'],
    ['body on GET', (i) => ((i.method = HttpMethod.HTTP_METHOD_GET), (i.retry = undefined)), 'parameters[4].location'],
    ['fixed body value on DELETE', (i) => ((i.method = HttpMethod.HTTP_METHOD_DELETE), (i.parameters = i.parameters.slice(0, 4)), (i.contextValues = [])), 'fixed_values[1].location'],
    ['body path that is both value and object', (i) => (p(i, 5).wireName = 'visit.date.minutes'), 'parameters[5].wire_name'],
    ['body path with an empty segment', (i) => (p(i, 5).wireName = 'visit..minutes'), 'parameters[5].wire_name'],
    ['path parameter that may be missing', (i) => (p(i, 0).required = false), 'parameters[0].required'],
    ['object in a header', (i) => (p(i, 3).type = ParameterType.PARAMETER_TYPE_OBJECT), 'parameters[3].type'],
    ['fixed value without a name', (i) => ((i.fixedValues[1] as { name: string }).name = ''), 'fixed_values[1].name'],
    ['fixed value without a value', (i) => ((i.fixedValues[1] as { value: unknown }).value = undefined), 'fixed_values[1].value'],
    ['fixed value clashing with a parameter', (i) => ((i.fixedValues[1] as { name: string }).name = 'visit.date'), 'fixed_values[1].name'],
    ['context value without a source', (i) => ((i.contextValues[0] as { source: ContextField }).source = ContextField.CONTEXT_FIELD_UNSPECIFIED), 'context_values[0].source'],
    ['context value without a location', (i) => ((i.contextValues[0] as { location: ParameterLocation }).location = ParameterLocation.PARAMETER_LOCATION_UNSPECIFIED), 'context_values[0].location'],
    ['auth without a credential', (i) => (i.auth!.credentialId = ''), 'auth.credential_id'],
    ['credential id with a slash', (i) => (i.auth!.credentialId = 'keys/clinic'), 'auth.credential_id'],
    ['unknown auth type', (i) => (i.auth!.type = AuthType.UNRECOGNIZED), 'auth.type'],
    ['API key header name that is not a token', (i) => (i.auth!.apiKeyName = 'X Clinic Key'), 'auth.api_key_name'],
    ['OAuth 2 without a token URL', (i) => (i.auth!.type = AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS), 'auth.oauth2.token_url'],
    ['OAuth 2 with a relative token URL', (i) => ((i.auth!.type = AuthType.AUTH_TYPE_OAUTH2_REFRESH_TOKEN), (i.auth!.oauth2 = { tokenUrl: '/token', scopes: [], extraParams: {}, clientAuth: 0 })), 'auth.oauth2.token_url'],
    ['OAuth 2 extra param replacing client_secret', (i) => ((i.auth!.type = AuthType.AUTH_TYPE_OAUTH2_CLIENT_CREDENTIALS), (i.auth!.oauth2 = { tokenUrl: 'https://auth.example.com/token', scopes: [], extraParams: { client_secret: 'x' }, clientAuth: 0 })), 'auth.oauth2.extra_params.client_secret'],
    ['bearer auth and an Authorization parameter', (i) => ((i.auth!.type = AuthType.AUTH_TYPE_BEARER), (p(i, 3).wireName = 'authorization')), 'parameters[3].wire_name'],
    ['bad mTLS credential id', (i) => (i.auth!.mtlsCredentialId = '-cert'), 'auth.mtls_credential_id'],
    ['bad signing credential id', (i) => (i.signingCredentialId = 'has space'), 'signing_credential_id'],
    ['mapping expression that does not compile', (i) => (i.responseMapping!.fields[0]!.expression = 'data.[id'), 'response_mapping.fields[0].expression'],
    ['empty mapping expression', (i) => (i.responseMapping!.fields[0]!.expression = ''), 'response_mapping.fields[0].expression'],
    ['duplicate mapped field names', (i) => i.responseMapping!.fields.push({ name: 'id', expression: 'id' }), 'response_mapping.fields[1].name'],
    ['mapped field name that is not an identifier', (i) => (i.responseMapping!.fields[0]!.name = 'the id'), 'response_mapping.fields[0].name'],
    ['summary template left open', (i) => (i.responseMapping!.summaryTemplate = 'Booked {{id'), 'response_mapping.summary_template'],
    ['result size over the cap', (i) => (i.responseMapping!.maxResultBytes = 1_000_000), 'response_mapping.max_result_bytes'],
    ['unknown burden level', (i) => (i.burden!.level = BurdenLevel.UNRECOGNIZED), 'burden.level'],
    ['confirmation prompt naming a non-parameter', (i) => (i.burden!.confirmationPrompt = 'Book for {{patient_name}}?'), 'burden.confirmation_prompt'],
    ['confirmation prompt naming a trusted value', (i) => (i.burden!.confirmationPrompt = 'Book at clinic {{clinic_id}}?'), 'burden.confirmation_prompt'],
    ['bad verification method', (i) => (i.burden!.acceptedVerificationMethods = ['date of birth']), 'burden.accepted_verification_methods[0]'],
    ['start phrase that does not compile', (i) => (i.speech!.startPhrase = 'Booking {{ 1 + 1 }}'), 'speech.start_phrase'],
    ['total timeout over the maximum', (i) => (i.timeouts!.totalMs = 60_000), 'timeouts.total_ms'],
    ['connect timeout over the total', (i) => (i.timeouts!.connectMs = 9000), 'timeouts.connect_ms'],
    ['too many attempts', (i) => (i.retry!.maxAttempts = 10), 'retry.max_attempts'],
    ['retried POST without an idempotency key', (i) => (i.retry!.idempotencyKeyHeader = ''), 'retry.max_attempts'],
    ['idempotency header that is forbidden', (i) => (i.retry!.idempotencyKeyHeader = 'Connection'), 'retry.idempotency_key_header'],
    ['breaker threshold over 100 %', (i) => (i.breaker!.errorThresholdPercent = 150), 'breaker.error_threshold_percent'],
    ['too many redirects', (i) => (i.maxRedirects = 20), 'max_redirects'],
    ['unknown delivery mode', (i) => (i.delivery = { mode: DeliveryMode.UNRECOGNIZED, maxAttempts: 0, maxAgeMs: 0 }), 'delivery.mode'],
    ['delivery attempts on a sync integration', (i) => (i.delivery = { mode: DeliveryMode.DELIVERY_MODE_SYNC, maxAttempts: 5, maxAgeMs: 0 }), 'delivery.max_attempts'],
    ['delivery age on a sync integration', (i) => (i.delivery = { mode: DeliveryMode.DELIVERY_MODE_UNSPECIFIED, maxAttempts: 0, maxAgeMs: 60_000 }), 'delivery.max_age_ms'],
    ['too many delivery attempts', (i) => (i.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 500, maxAgeMs: 0 }), 'delivery.max_attempts'],
    ['delivery age over a week', (i) => (i.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 0, maxAgeMs: 8 * 24 * 3600 * 1000 }), 'delivery.max_age_ms'],
    ['delivery age under a second', (i) => (i.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 0, maxAgeMs: 10 }), 'delivery.max_age_ms'],
    ['max_concurrent over the cap', (i) => (i.limits = { maxConcurrent: 20_000, ratePerSecond: 0, burst: 0, maxQueueMs: 0 }), 'limits.max_concurrent'],
    ['negative rate', (i) => (i.limits = { maxConcurrent: 0, ratePerSecond: -1, burst: 0, maxQueueMs: 0 }), 'limits.rate_per_second'],
    ['burst without a rate', (i) => (i.limits = { maxConcurrent: 5, ratePerSecond: 0, burst: 3, maxQueueMs: 0 }), 'limits.burst'],
    ['max_queue_ms without a limit', (i) => (i.limits = { maxConcurrent: 0, ratePerSecond: 0, burst: 0, maxQueueMs: 500 }), 'limits.max_queue_ms'],
    ['max_queue_ms past any budget', (i) => (i.limits = { maxConcurrent: 5, ratePerSecond: 0, burst: 0, maxQueueMs: 60_000 }), 'limits.max_queue_ms'],
    ['cache on a POST', (i) => (i.cache = { ttlSeconds: 60, scope: 0 }), 'cache'],
    ['cache kept over a day', (i) => (i.cache = { ttlSeconds: 90_000, scope: 0 }), 'cache.ttl_seconds'],
    ['unknown cache scope', (i) => (i.cache = { ttlSeconds: 0, scope: CacheScope.UNRECOGNIZED }), 'cache.scope'],
    ['sample argument that is not a parameter', (i) => (i.sampleArguments = { ...i.sampleArguments, clinic_id: '13' }), 'sample_arguments.clinic_id'],
    ['sample argument missing a required parameter', (i) => (i.sampleArguments = { patient_id: 'p1' }), 'sample_arguments.date'],
    ['sample argument of the wrong format', (i) => (i.sampleArguments = { patient_id: 'p1', date: '03/03/2025' }), 'sample_arguments.date'],
    ['too many parameters', (i) => (i.parameters.push(...Array.from({ length: 70 }, (_, n) => param({ name: `extra_${n}`, type: STRING, location: QUERY })))), 'parameters'],
    ['oversize definition', (i) => (i.fixedValues[1] = { name: 'source', location: BODY, value: 'x'.repeat(MAX_DEFINITION_BYTES) }), '(definition)'],
  ];

  it.each(matrix)('rejects %s', (_, mutate, field) => {
    const i = valid();
    mutate(i);
    expect(fields(i)).toContain(field);
  });

  it('has a matrix large enough to mean something', () => {
    expect(matrix.length).toBeGreaterThanOrEqual(25);
  });

  it('reports every problem at once, not only the first', () => {
    const i = valid();
    i.key = 'Bad Key';
    i.urlTemplate = 'https://api.example.com/x/{nope}';
    i.auth!.credentialId = '';
    i.responseMapping!.fields[0]!.expression = '[';
    expect(fields(i)).toEqual(
      expect.arrayContaining(['key', 'url_template', 'parameters[0].name', 'auth.credential_id', 'response_mapping.fields[0].expression']),
    );
  });

  it('passes the URL template parser message through', () => {
    const i = valid();
    i.urlTemplate = 'https://user:pw@api.example.com/{patient_id}';
    const problem = validateIntegration(i).find((x) => x.field === 'url_template');
    expect(problem?.message).toMatch(/user name or password/);
    expect(problem?.message).not.toContain('pw');
  });

  it('passes the JMESPath parser message through', () => {
    const i = valid();
    i.responseMapping!.fields[0]!.expression = 'a[';
    const problem = validateIntegration(i).find((x) => x.field === 'response_mapping.fields[0].expression');
    expect(problem?.message).toMatch(/Syntax error/);
  });

  it('accepts an async delivery policy, with or without limits', () => {
    const i = valid();
    i.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 0, maxAgeMs: 0 };
    expect(validateIntegration(i)).toEqual([]);
    i.delivery = { mode: DeliveryMode.DELIVERY_MODE_ASYNC, maxAttempts: 100, maxAgeMs: 7 * 24 * 3600 * 1000 };
    expect(validateIntegration(i)).toEqual([]);
    i.delivery = { mode: DeliveryMode.DELIVERY_MODE_SYNC, maxAttempts: 0, maxAgeMs: 0 };
    expect(validateIntegration(i)).toEqual([]);
  });

  it('allows a body on GET when the definition says so', () => {
    const i = valid();
    i.method = HttpMethod.HTTP_METHOD_GET;
    i.allowBodyOnAnyMethod = true;
    expect(validateIntegration(i)).toEqual([]);
  });

  it('appends query values without a placeholder and fills query placeholders from fixed values', () => {
    const i = valid();
    i.urlTemplate = 'https://api.example.com/clinics/{clinic_id}/patients/{patient_id}/visits?lang={lang}&v={api_version}';
    i.fixedValues.push({ name: 'api_version', location: QUERY, value: 2 });
    expect(validateIntegration(i)).toEqual([]);
  });

  it('treats header names case-insensitively and query names case-sensitively', () => {
    const headers = valid();
    headers.fixedValues.push({ name: 'x-trace-tag', location: HEADER, value: 'a' });
    expect(fields(headers)).toContain('fixed_values[2].name');
    const query = valid();
    query.fixedValues.push({ name: 'DryRun', location: QUERY, value: true });
    expect(validateIntegration(query)).toEqual([]);
  });

  it('accepts an unspecified burden level and auth type as conversational and none', () => {
    const i = valid();
    i.burden = { level: BurdenLevel.BURDEN_LEVEL_UNSPECIFIED, fillerPhrase: '', confirmationPrompt: '', acceptedVerificationMethods: [] };
    i.auth = undefined;
    expect(validateIntegration(i)).toEqual([]);
  });

  it('never repeats a value in a message, only names and rules', () => {
    const i = valid();
    p(i, 1).defaultValue = 'secret-looking-value';
    i.sampleArguments = { patient_id: 'p1', date: 'another-secret-value' };
    const text = JSON.stringify(validateIntegration(i));
    expect(text).not.toContain('secret-looking-value');
    expect(text).not.toContain('another-secret-value');
  });
});
