import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { Integration } from '@switchboard/contracts';
import { parseIntegrationDocuments } from '@switchboard/definition';
import { fieldErrorsOf, reasonOf } from '@switchboard/grpc-kit';
import { ROOT } from '../support/stack.js';

export { status };

type FieldProblem = ReturnType<typeof fieldErrorsOf>[number];

/** What a refused gRPC call told the caller. */
export interface Refusal {
  readonly code: status;
  readonly details: string;
  readonly reason: string | undefined;
  readonly fields: FieldProblem[];
}

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'details' in err;
}

/** What the caller saw of a call that failed with a gRPC status (anything else is thrown again). */
export function refusalOf(err: unknown): Refusal {
  if (!isServiceError(err)) throw err;
  return { code: err.code, details: err.details, reason: reasonOf(err), fields: fieldErrorsOf(err) };
}

/** Awaits a call that must fail with a gRPC status and returns what the caller saw. */
export async function refusal(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    return refusalOf(err);
  }
  throw new Error('the call succeeded but was expected to fail');
}

export const EXAMPLES_DIR = path.join(ROOT, 'examples', 'integrations');
export const EXAMPLE_FILES = ['appointment-lookup.yaml', 'crm-lead.yaml', 'dental-booking.yaml', 'ehr-eligibility.yaml', 'staff-webhook.yaml'] as const;

/** Reads one definition from YAML text, failing the test on any parse problem. */
export function definitionFrom(text: string, fileName = 'inline.yaml'): Integration {
  const { integrations, problems } = parseIntegrationDocuments(text, fileName);
  if (problems.length > 0 || integrations.length !== 1) {
    throw new Error(`${fileName} does not hold exactly one clean definition: ${JSON.stringify(problems)}`);
  }
  return integrations[0]!;
}

export function exampleText(file: string): string {
  return readFileSync(path.join(EXAMPLES_DIR, file), 'utf8');
}

export function example(file: string): Integration {
  return definitionFrom(exampleText(file), file);
}

/**
 * A GET lookup against a loopback upstream with an API key credential: the smallest definition the
 * executor can run end to end.
 */
export function lookupDefinition(key: string, upstreamUrl: string, credentialId: string): Integration {
  return definitionFrom(
    `key: ${key}
name: Look up ${key}
description: Finds a patient's next appointment. Use it when the caller asks about their appointment.
method: GET
url_template: "${upstreamUrl}/patients/{patient_id}/appointments"
parameters:
  - name: patient_id
    description: The patient's id.
    type: string
    in: path
    required: true
auth:
  type: api_key
  credential_id: ${credentialId}
  api_key_name: X-API-Key
response_mapping:
  fields:
    - name: time
      expression: "appointments[0].time"
  summary_template: "Next at {{time}}."
sample_arguments:
  patient_id: p-1
`,
    `${key}.yaml`,
  );
}

/** A deep copy, so a test can edit a definition without touching the one it came from. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as an integrator would, optionally feeding stdin. */
export function runCli(args: readonly string[], options: { stdin?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'packages', 'cli', 'dist', 'main.js'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** The parts of Ajv's 2020-12 class these tests use (ajv is a dependency of packages/definition only). */
interface AjvValidate {
  (data: unknown): boolean;
  errors?: unknown[] | null;
}
interface AjvInstance {
  compile(schema: unknown): AjvValidate;
  validateSchema(schema: unknown): boolean;
  errors?: unknown[] | null;
}
type AjvClass = new (options: Record<string, unknown>) => AjvInstance;

const requireFromDefinition = createRequire(path.join(ROOT, 'packages', 'definition', 'package.json'));

/** A strict JSON Schema 2020-12 validator with the standard formats (date, email, uuid, ...). */
export function jsonSchema2020(): AjvInstance {
  const Ajv2020 = (requireFromDefinition('ajv/dist/2020.js') as { default: AjvClass }).default;
  const addFormats = (requireFromDefinition('ajv-formats') as { default: (ajv: AjvInstance) => AjvInstance }).default;
  return addFormats(new Ajv2020({ strict: true, allErrors: true }));
}
