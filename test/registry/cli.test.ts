import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ROOT, startStack, type Stack } from '../support/stack.js';
import { EXAMPLES_DIR, EXAMPLE_FILES, exampleText, runCli, type CliResult } from './registry-helpers.js';

const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'main.js');
const HAS_PYTHON = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

/** Runs the CLI on a pseudo-terminal, types `typed` after the prompt and returns everything the terminal showed. */
function runOnTerminal(args: readonly string[], typed: string): Promise<CliResult> {
  const script = `
import os, pty, select, sys, time
typed = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
sent = False
deadline = time.time() + 15
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if not sent and b'press Enter' in out:
        time.sleep(0.1)
        os.write(fd, typed + b'\\r')
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, typed, process.execPath, CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** apply's output without its warnings about credentials not set yet (asserted where they matter). */
function withoutWarnings(stdout: string): string {
  return stdout.split('\n').filter((l) => !l.startsWith('warning: credential ')).join('\n');
}

describe('CLI: apply, get, history, delete, credential set and tools against a real registry', () => {
  let stack: Stack;
  let dir: string;
  let org: string[];
  const cli = (...args: string[]) => runCli([...org, ...args]);
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    stack = await startStack({ withLogger: false });
    dir = mkdtempSync(path.join(tmpdir(), 'sb-cli-'));
    org = ['--registry', `127.0.0.1:${stack.registry.port}`, '--org', stack.orgId];
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Independent keys: the examples run side by side to keep the suite fast.
  it.concurrent.each(EXAMPLE_FILES)('applies %s: created, then unchanged, then updated with the fields that changed', async (file) => {
    const key = parseDocument(exampleText(file)).get('key') as string;
    const first = await cli('apply', '-f', path.join(EXAMPLES_DIR, file));
    expect(first.stderr).toBe('');
    const created = new RegExp(`^created +${key} \\(revision (\\d+)\\)\\n`).exec(first.stdout);
    expect(created, first.stdout).not.toBeNull();
    const rev = Number(created![1]);
    // No credential is stored in this org: apply says which one is missing and how to set it.
    const credentialId = parseDocument(exampleText(file)).getIn(['auth', 'credential_id']) as string | undefined;
    if (credentialId !== undefined) {
      expect(first.stdout).toContain(`warning: credential ${credentialId} (used by ${key}) is not set: calls fail until you run \`switchboard credential set ${credentialId} --type <type>\``);
    }

    const second = await cli('apply', '-f', path.join(EXAMPLES_DIR, file));
    expect(withoutWarnings(second.stdout)).toBe(`unchanged ${key} (revision ${rev})\n`);

    // An integrator's edit: comments kept, two top-level fields changed.
    const doc = parseDocument(exampleText(file));
    doc.set('name', `${String(doc.get('name'))} (v2)`);
    doc.setIn(['timeouts', 'total_ms'], 7000);
    const third = await cli('apply', '-f', write(file, doc.toString()));
    const updated = new RegExp(`^updated +${key} \\(revision ${rev} -> (\\d+)\\): name, timeouts\\n$`).exec(withoutWarnings(third.stdout));
    expect(updated, third.stdout + third.stderr).not.toBeNull();
    expect(Number(updated![1])).toBeGreaterThan(rev);
  });

  it('what get prints applies again as unchanged, in YAML and in JSON', async () => {
    const keys = EXAMPLE_FILES.map((f) => parseDocument(exampleText(f)).get('key') as string);
    const revisions = new Map((await stack.registryClient.list()).map((r) => [r.integration!.key, r.revision]));
    const yaml = await Promise.all(keys.map((k) => cli('get', k, '-o', 'yaml')));
    const json = await Promise.all(keys.map((k) => cli('get', k, '-o', 'json')));
    const applied = await Promise.all(yaml.map((got, n) => cli('apply', '-f', write(`${keys[n]}.yaml`, got.stdout))));
    applied.forEach((r, n) => expect(withoutWarnings(r.stdout) + r.stderr).toBe(`unchanged ${keys[n]} (revision ${revisions.get(keys[n]!)})\n`));
    expect(yaml[0]!.stdout.startsWith(`# revision ${revisions.get(keys[0]!)}\n`)).toBe(true);
    // JSON output is the document alone; a list of them is a valid file too.
    const all = await cli('apply', '-f', write('all.json', `[${json.map((r) => r.stdout).join(',')}]`));
    expect(withoutWarnings(all.stdout) + all.stderr).toBe(keys.map((k) => `unchanged ${k} (revision ${revisions.get(k)})\n`).join(''));
    const bad = await cli('get', keys[0]!, '-o', 'xml');
    expect(bad.stderr).toBe('switchboard: -o must be yaml or json\n');
  });

  it('lists, shows history and deletes explicitly', async () => {
    const list = await cli('list');
    expect(list.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(
      ['appointment_lookup', 'crm_lead', 'dental_booking', 'ehr_eligibility', 'staff_webhook'],
    );
    expect((await cli('delete', 'staff_webhook')).stdout).toBe('deleted staff_webhook\n');
    const history = (await cli('history', 'staff_webhook')).stdout.trim().split('\n');
    expect(history).toHaveLength(3);
    expect(history.map((l) => l.split(/\s+/).at(-1))).toEqual(['enabled', 'enabled', 'deleted']);
    const gone = await cli('get', 'staff_webhook');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(`switchboard: integration staff_webhook does not exist in org ${stack.orgId} [NOT_FOUND]\n`);
  });

  it('test exits non-zero on a failed outcome, as invoke does, and names the credential command', async () => {
    const file = write('no-credential.yaml', [
      'key: needs_a_key',
      'name: Needs a key',
      'description: Calls an API with a key that was never stored.',
      'method: GET',
      'url_template: https://api.example.com/things',
      'auth: {type: API_KEY, credential_id: never-stored}',
    ].join('\n'));
    const applied = await cli('apply', '-f', file);
    expect(applied.stdout).toContain('warning: credential never-stored (used by needs_a_key) is not set');
    const tested = await runCli([...org, '--executor', `127.0.0.1:${stack.executor.port}`, 'test', 'needs_a_key']);
    expect(tested.code, tested.stdout + tested.stderr).toBe(2);
    expect(tested.stdout).toContain('OUTCOME_AUTH_FAILED');
    expect(tested.stdout).toContain(`switchboard --org ${stack.orgId} credential set never-stored --type <type>`);
  });

  it('explains a bad file with the path of the field and its line, and applies nothing from it', async () => {
    const syntax = await cli('apply', '-f', write('syntax.yaml', 'key: broken\nname: [unclosed\ndescription: x\n'));
    expect(syntax.code).toBe(1);
    // The parser notices the unclosed bracket of line 2 where the next key starts.
    expect(syntax.stderr).toMatch(/syntax\.yaml has problems:\n {2}\S*syntax\.yaml:[23]:\d+: .*end with a \]/);

    const typo = await cli('apply', '-f', write('typo.yaml', exampleText('crm-lead.yaml').replace('response_mapping:', 'respons_mapping:')));
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/ {2}respons_mapping: unknown field; did you mean response_mapping\? \(at \S*typo\.yaml:\d+:\d+\)/);

    // Two definitions, the second one invalid: neither is applied.
    const good = exampleText('crm-lead.yaml').replace('key: crm_lead', 'key: crm_lead_two');
    const bad = exampleText('appointment-lookup.yaml')
      .replace('key: appointment_lookup', 'key: broken_lookup')
      .replace('https://pms.example.com/patients/{patient_id}/appointments', 'ftp://pms.example.com/patients/{patient_id}/appointments')
      .replace('in: query\n', 'in: body\n');
    const text = `${good}\n---\n${bad}`;
    const file = write('two.yaml', text);
    const invalid = await cli('apply', '-f', file);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    const lineOf = (needle: string) => text.slice(0, text.indexOf(needle, text.indexOf('key: broken_lookup'))).split('\n').length;
    expect(invalid.stderr).toContain(`two.yaml is not valid; nothing was applied:\n  broken_lookup:\n`);
    expect(invalid.stderr).toContain(`    url_template: the URL template must start with http:// or https:// followed by a host (at ${file}:${lineOf('url_template: ftp')}:`);
    expect(invalid.stderr).toMatch(new RegExp(`parameters\\[1\\]\\.location: a GET request takes no body.*\\(at ${file.replaceAll('.', '\\.')}:${lineOf('in: body')}:`));
    const list = await cli('list');
    expect(list.stdout).not.toContain('crm_lead_two');
    expect(list.stdout).not.toContain('broken_lookup');

    const missing = await cli('apply', '-f', path.join(dir, 'nope.yaml'));
    expect(missing.stderr).toBe(`switchboard: cannot read ${path.join(dir, 'nope.yaml')}: ENOENT\n`);
    const unreachable = await runCli(['--registry', '127.0.0.1:1', '--org', stack.orgId, 'list']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the registry at 127\.0\.0\.1:1 .*is it running\?.*--registry <host:port> or SWITCHBOARD_REGISTRY/);
  });

  it('credential set takes the secret from stdin or a file, never from argv, and never shows it', async () => {
    const secret = 'sk_live_cli_stdin_3c9e71d0aa';
    const piped = await cli('credential', 'set', 'stdin-key', '--type', 'api_key');
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain('the secret is empty');

    const fromStdin = await runCli([...org, 'credential', 'set', 'stdin-key', '--type', 'api_key'], { stdin: `${secret}\n` });
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe('stored stdin-key (CREDENTIAL_TYPE_API_KEY, ••••aa, key test1)\n'.replace('••••aa', `••••${secret.slice(-4)}`));
    const file = write('basic.json', JSON.stringify({ username: 'front-desk', password: `${secret}-pw` }));
    const fromFile = await cli('credential', 'set', 'basic-key', '--type', 'basic', '--from-file', file);
    expect(fromFile.code).toBe(0);
    const onArgv = await cli('credential', 'set', 'argv-key', '--type', 'api_key', secret);
    expect(onArgv.code).not.toBe(0);
    expect((await cli('credential', 'list')).stdout).not.toContain('argv-key');
    for (const r of [fromStdin, fromFile, onArgv]) expect(r.stdout + r.stderr).not.toContain(secret);
    expect(stack.registry.output()).not.toContain(secret);
  });

  it.skipIf(!HAS_PYTHON)('at a terminal, credential set hides what is typed', async () => {
    const secret = 'sk_live_cli_typed_77e0b5c2f1';
    const r = await runOnTerminal([...org, 'credential', 'set', 'typed-key', '--type', 'api_key'], secret);
    expect(r.stdout).toContain('press Enter');
    expect(r.stdout).toContain(`stored typed-key (CREDENTIAL_TYPE_API_KEY, ••••${secret.slice(-4)}`);
    expect(r.stdout).not.toContain(secret);
    expect(r.code).toBe(0);
  });
});
