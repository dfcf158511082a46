import { readFileSync, readdirSync } from 'node:fs';
import { BurdenLevel } from '@switchboard/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { burdenLevelOf } from './defaults.js';
import { integrationToDocument, parseIntegrationDocuments } from './document.js';
import { exportTools } from './tool-schema.js';
import { validateIntegration } from './validate-integration.js';

const DIR = new URL('../../../examples/integrations/', import.meta.url);
const EXPECTED = {
  'appointment-lookup.yaml': BurdenLevel.BURDEN_LEVEL_CONVERSATIONAL,
  'crm-lead.yaml': BurdenLevel.BURDEN_LEVEL_REQUESTED,
  'dental-booking.yaml': BurdenLevel.BURDEN_LEVEL_CONFIRMED,
  'ehr-eligibility.yaml': BurdenLevel.BURDEN_LEVEL_VERIFIED,
  'staff-webhook.yaml': BurdenLevel.BURDEN_LEVEL_AMBIENT,
};

function load(file: string): ReturnType<typeof parseIntegrationDocuments> {
  return parseIntegrationDocuments(readFileSync(new URL(file, DIR), 'utf8'), file);
}

describe('examples/integrations', () => {
  it('holds the examples this test knows about', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s parses and validates without a problem', (file, level) => {
    const { integrations, problems } = load(file);
    expect(problems).toEqual([]);
    expect(integrations).toHaveLength(1);
    const integration = integrations[0]!;
    expect(validateIntegration(integration)).toEqual([]);
    expect(integration.enabled).toBe(true);
    expect(burdenLevelOf(integration)).toBe(level);
  });

  it.each(Object.keys(EXPECTED))('%s round-trips through the friendly format', (file) => {
    const { integrations } = load(file);
    const again = parseIntegrationDocuments(stringify(integrationToDocument(integrations[0]!)), file);
    expect(again.problems).toEqual([]);
    expect(again.integrations).toEqual(integrations);
  });

  it('exports tools whose schemas accept each example\'s sample arguments and nothing trusted', () => {
    const integrations = Object.keys(EXPECTED).flatMap((file) => load(file).integrations);
    const ajv = new Ajv2020({ strict: true });
    addFormats.default(ajv);
    const { tools } = exportTools(integrations, 'anthropic');
    expect(tools).toHaveLength(5);
    for (const integration of integrations) {
      const tool = tools.find((t) => t.name === integration.key)!;
      const validate = ajv.compile(tool.inputSchema);
      expect(validate(integration.sampleArguments), `${integration.key}: ${JSON.stringify(validate.errors)}`).toBe(true);
      const trusted = [...integration.fixedValues, ...integration.contextValues].map((v) => v.name);
      const properties = Object.keys(tool.inputSchema['properties'] as object);
      for (const name of trusted) expect(properties).not.toContain(name);
    }
  });
});
