import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BurdenLevel, HttpMethod, Integration, ParameterLocation } from '@switchboard/contracts';
import { startStack, type Stack } from '../support/stack.js';
import { clone, example, refusal, status } from './registry-helpers.js';

/** Each case breaks one rule of issue 4's "Validation on write" and names the field that must be blamed. */
const BAD_DEFINITIONS: readonly { readonly name: string; readonly field: string; readonly says: RegExp; readonly edit: (i: Integration) => void }[] = [
  {
    name: 'a URL placeholder without a path parameter',
    field: 'url_template',
    says: /\{slot\}.*no path parameter/,
    edit: (i) => {
      i.urlTemplate = 'https://pms.example.com/patients/{patient_id}/appointments/{slot}';
    },
  },
  {
    name: 'a path parameter without a placeholder',
    field: 'parameters[0].name',
    says: /no \{patient_id\} placeholder/,
    edit: (i) => {
      i.urlTemplate = 'https://pms.example.com/appointments';
    },
  },
  {
    name: 'a body parameter on a GET',
    field: 'parameters[1].location',
    says: /GET request takes no body/,
    edit: (i) => {
      i.parameters[1]!.location = ParameterLocation.PARAMETER_LOCATION_BODY;
    },
  },
  {
    name: 'an invalid header name',
    field: 'parameters[1].wire_name',
    says: /not a valid header name/,
    edit: (i) => {
      i.parameters[1]!.location = ParameterLocation.PARAMETER_LOCATION_HEADER;
      i.parameters[1]!.wireName = 'X Appointment Date';
    },
  },
  {
    name: 'a URL that is not http(s)',
    field: 'url_template',
    says: /http:\/\/ or https:\/\//,
    edit: (i) => {
      i.urlTemplate = 'ftp://pms.example.com/patients/{patient_id}/appointments';
    },
  },
  {
    name: 'a mapping expression that does not compile',
    field: 'response_mapping.fields[1].expression',
    says: /not a valid JMESPath expression/,
    edit: (i) => {
      i.responseMapping!.fields[1]!.expression = 'length(appointments';
    },
  },
  {
    name: 'duplicate parameter names',
    field: 'parameters[1].name',
    says: /already the name of parameters\[0\]/,
    edit: (i) => {
      i.parameters[1]!.name = 'patient_id';
      i.sampleArguments = { patient_id: 'p-1' };
    },
  },
  {
    name: 'an auth block that references no credential',
    field: 'auth.credential_id',
    says: /must name the credential/,
    edit: (i) => {
      i.auth!.credentialId = '';
    },
  },
  {
    name: 'an unknown burden level',
    field: 'burden.level',
    says: /ambient, conversational, requested, confirmed or verified/,
    edit: (i) => {
      i.burden!.level = 42 as BurdenLevel;
    },
  },
  {
    name: 'an oversize definition',
    field: '(definition)',
    says: /bytes encoded; the limit is 65536/,
    edit: (i) => {
      i.description = 'Finds appointments.';
      // Every part within its own limit; together over the 64 KiB a definition may take.
      i.responseMapping!.fields = Array.from({ length: 32 }, (_, n) => ({ name: `f${n}`, expression: `appointments[${n}].${'x'.repeat(1000)}` }));
      i.parameters[1]!.enumValues = Array.from({ length: 100 }, (_, n) => `d${n}-${'y'.repeat(400)}`);
      i.sampleArguments = { patient_id: 'p-1' };
    },
  },
  {
    // RE2 runs every definition pattern in linear time and has no look-around (issue 17, item 2).
    name: 'a pattern with a look-ahead',
    field: 'parameters[0].pattern',
    says: /look-around .* linear-time pattern engine/,
    edit: (i) => {
      i.parameters[0]!.pattern = '^(?=p-)[A-Za-z0-9-]{1,36}$';
    },
  },
  {
    name: 'a pattern with a back-reference',
    field: 'parameters[0].pattern',
    says: /back-reference/,
    edit: (i) => {
      i.parameters[0]!.pattern = '^(p)-\\1$';
    },
  },
  {
    // Saved, it would make every call fail and blame the caller's arguments (issue 17, item 8).
    name: 'a fixed header value with CR/LF',
    field: 'fixed_values[1].value',
    says: /line break/,
    edit: (i) => {
      i.fixedValues.push({ name: 'X-Clinic', location: ParameterLocation.PARAMETER_LOCATION_HEADER, value: 'north\r\nX-Admin: 1' });
    },
  },
  {
    name: 'sample arguments the executor would refuse in Test',
    field: 'sample_arguments.date',
    says: /date must be a real calendar date/,
    edit: (i) => {
      i.sampleArguments = { patient_id: 'p-1', date: '2025-02-30' };
    },
  },
  {
    name: 'an unknown method',
    field: 'method',
    says: /must be GET, POST/,
    edit: (i) => {
      i.method = HttpMethod.HTTP_METHOD_UNSPECIFIED;
    },
  },
];

describe('registry: a bad definition is refused with the field to fix, and changes nothing', () => {
  let stack: Stack;
  const good = example('appointment-lookup.yaml');

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(BAD_DEFINITIONS)('CreateIntegration refuses $name, blaming $field', async ({ field, says, edit }) => {
    const bad = clone(good);
    edit(bad);
    const r = await refusal(stack.registryClient.create(bad));
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(r.reason).toBe('INVALID_DEFINITION');
    const blamed = r.fields.find((f) => f.field === field);
    expect(blamed, `field errors were ${JSON.stringify(r.fields)}`).toBeDefined();
    expect(blamed!.message).toMatch(says);
    // The status text names the field too, for clients that cannot read trailers.
    expect(r.details).toContain(field);

    const after = await refusal(stack.registryClient.get(good.key));
    expect(after.code).toBe(status.NOT_FOUND);
  });

  it('names every offending field of a definition with several problems at once', async () => {
    const bad = clone(good);
    const several = ['url_template', 'parameters[1].wire_name', 'response_mapping.fields[1].expression', 'auth.credential_id', 'burden.level'];
    for (const c of BAD_DEFINITIONS) if (several.includes(c.field) && !c.name.includes('http(s)')) c.edit(bad);
    const r = await refusal(stack.registryClient.create(bad));
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(new Set(r.fields.map((f) => f.field))).toEqual(new Set(several));
  });

  it('a refused update leaves the stored revision as it was', async () => {
    const org = stack.client(`org-upd-${stack.id}`);
    const created = await org.create(good);
    const bad = clone(good);
    bad.name = 'Renamed';
    bad.urlTemplate = 'ftp://pms.example.com/x';
    const r = await refusal(org.update(bad, created.revision));
    expect(r.code).toBe(status.INVALID_ARGUMENT);
    expect(r.fields.map((f) => f.field)).toContain('url_template');

    const now = await org.get(good.key);
    expect(now.revision).toBe(created.revision);
    expect(now.integration).toEqual(good);
    expect((await org.history(good.key)).map((h) => h.revision)).toEqual([created.revision]);
  });

  it('refuses a request without a definition, an org id that is not one and a key that is not one', async () => {
    const missing = await refusal(stack.registryClient.create(undefined as unknown as Integration));
    expect(missing).toMatchObject({ code: status.INVALID_ARGUMENT, fields: [{ field: 'integration' }] });

    const badOrg = await refusal(stack.client('no.such/org').list());
    expect(badOrg).toMatchObject({ code: status.INVALID_ARGUMENT, fields: [{ field: 'org_id' }] });

    for (const key of ['*', '>', 'a.b', '']) {
      const r = await refusal(stack.registryClient.history(key));
      expect(r.code, `key ${JSON.stringify(key)}`).toBe(status.INVALID_ARGUMENT);
      expect(r.fields.map((f) => f.field)).toEqual(['key']);
    }
  });
});
