#!/usr/bin/env node
import { Command } from 'commander';
import { applyCommand } from './apply-command.js';
import { credentialListCommand, credentialSetCommand } from './credential-command.js';
import { deleteCommand } from './delete-command.js';
import { getCommand } from './get-command.js';
import { historyCommand } from './history-command.js';
import { invokeCommand } from './invoke-command.js';
import { listCommand } from './list-command.js';
import { testCommand } from './test-command.js';
import { toolsCommand } from './tools-command.js';
import { auditCommand, type AuditFlags } from './audit-command.js';
import { importOpenApiCommand, type ImportOpenApiFlags } from './import-openapi.js';
import { simulateCommand, type SimulateFlags } from './simulate/index.js';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand, type TokenFlags } from './token-command.js';
import { addGlobalOptions, type GlobalOptions } from './connection.js';
import { registerDeliveriesCommands } from './deliveries-command.js';
import { describeError } from './errors.js';

const print = (text: string) => process.stdout.write(`${text}\n`);

const program = addGlobalOptions(new Command('switchboard'))
  .description('Define, test and invoke Switchboard integrations.')
  .showHelpAfterError();
const globals = (): GlobalOptions => program.opts<GlobalOptions>();

program.command('apply').description('create or update the integrations in a YAML or JSON file').requiredOption('-f, --file <path>', 'definition file')
  .action((o: { file: string }) => applyCommand(globals(), o.file, print));
program.command('get <key>').description('show an integration').option('-o, --output <format>', 'yaml or json', 'yaml').option('--revision <n>', 'an older revision', '0')
  .action((key: string, o: { output: string; revision: string }) => getCommand(globals(), key, o.output, Number(o.revision), print));
program.command('list').description("list the org's integrations").action(() => listCommand(globals(), print));
program.command('delete <key>').description('delete an integration').action((key: string) => deleteCommand(globals(), key, print));
program.command('history <key>').description("list an integration's revisions").action((key: string) => historyCommand(globals(), key, print));
program.command('tools').description('the tools the model sees').option('--format <format>', 'openai, anthropic or mcp', 'openai')
  .option('--strict', 'OpenAI strict mode: every property required, optional ones nullable, closed objects')
  .action((o: { format: string; strict?: boolean }) => toolsCommand(globals(), o.format, o, print));

const credential = program.command('credential').description('manage write-only credentials');
credential.command('set <id>').description('store a secret read from stdin or a file (never from the command line)')
  .requiredOption('--type <type>', 'api_key, bearer, basic, custom_headers, oauth2_client, mtls or signing_secret')
  .option('--from-file <path>', 'read the secret from this file instead of stdin')
  .action((id: string, o: { type: string; fromFile?: string }) => credentialSetCommand(globals(), id, o, print));
credential.command('list').description('list credentials (metadata only)').action(() => credentialListCommand(globals(), print));

program.command('invoke <key>').description('invoke an integration as a live call would')
  .option('--args <json>', 'arguments as a JSON object', '{}')
  .option('--call-id <uuid>', 'the call id (a random one by default)')
  .option('--caller-asked', 'state that the caller explicitly asked (requested level)')
  .option('--confirm <token>', 'the confirmation token from a CONFIRMATION_REQUIRED answer')
  .option('--verified-by <method[:reference]>', 'how the caller was verified (verified level)')
  .option('--caller-number <e164>', "the caller's number")
  .option('--json', 'print the raw response')
  .action((key: string, o: Record<string, string | boolean | undefined>) => invokeCommand(globals(), key, o, print));
program.command('test [key]').description('send a test request and show the full request and response')
  .option('--args <json>', 'arguments (default: the definition\'s sample arguments)')
  .option('-f, --file <path>', 'test an unsaved definition from this file')
  .option('--json', 'print the raw response')
  .action((key: string | undefined, o: { args?: string; file?: string; json?: boolean }) => testCommand(globals(), key, o, print));

program.command('audit').description('what the agent did: audit events by call, tool and time, from the logger\'s files or the stream')
  .option('--call-id <uuid>', 'only this call')
  .option('--tool <key>', 'only this integration')
  .option('--since <time>', 'from this date or time (ISO 8601)')
  .option('--until <time>', 'up to this date or time (ISO 8601)')
  .option('--dir <path>', "the audit logger's folder (env AUDIT_DIR, default .data/audit)")
  .option('--stream', 'read the JetStream stream instead of the files')
  .option('--nats-url <url>', 'NATS for --stream (env NATS_URL)')
  .option('--stream-name <name>', 'audit stream name', 'SWITCHBOARD_AUDIT')
  .option('--subject-prefix <prefix>', 'audit subject prefix', 'switchboard.audit')
  .option('--limit <n>', 'only the newest n events')
  .option('--json', 'print the events as JSON')
  .action((o: AuditFlags) => auditCommand(globals(), o, print));

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
program.command('import').description('create integrations from a description of an API')
  .command('openapi <source>').description('translate an OpenAPI 3.0/3.1 document (YAML or JSON file, or a loopback URL) into integration definitions')
  .option('--operation <id>', 'only this operation: operationId, key or "METHOD /path" (repeatable)', collect)
  .option('--tag <tag>', 'only operations with this tag (repeatable)', collect)
  .option('--server <url>', "the API's base URL, instead of the document's first server")
  .option('--out <path>', 'a .yaml file for one multi-document file, or a directory for one file each (default: .)')
  .option('--apply', 'create or update them in the registry, as apply does')
  .option('--auth <kind>', "the auth every definition gets, instead of the document's security: bearer, basic, api_key, oauth2_client or none")
  .option('--auth-credential <id>', 'the credential id the auth uses (alone: rename the credential of the document\'s own auth)')
  .option('--auth-header <name>', 'with --auth api_key: the header that carries the key')
  .option('--auth-query <name>', 'with --auth api_key: the query parameter that carries the key')
  .option('--auth-token-url <url>', 'with --auth oauth2_client: the token endpoint')
  .option('--auth-scope <scope>', 'with --auth oauth2_client: a scope to ask for (repeatable)', collect)
  .option('--json', 'print the result as JSON: every definition, every skipped construct, every note')
  .action((source: string, o: ImportOpenApiFlags) => importOpenApiCommand(globals(), source, o, print));

program.command('simulate <script>').description('rehearse a call from a YAML script against the running system; exit code 1 when an expectation fails')
  .option('--json', 'print the whole rehearsal as JSON')
  .option('--nats-url <url>', 'NATS holding the audit stream, for what each turn sent (env NATS_URL)')
  .option('--stream-name <name>', 'the audit stream (default SWITCHBOARD_AUDIT)')
  .option('--subject-prefix <prefix>', 'the audit subject prefix (default switchboard.audit)')
  .option('--audit-wait-ms <ms>', 'how long to wait for each audit event', '3000')
  .option('--no-audit', 'do not read the audit stream')
  .action((script: string, o: SimulateFlags) => simulateCommand(globals(), script, o, print));

const token = program.command('token').description('org API tokens for the console and MCP (shown once, stored hashed)')
  .option('--nats-url <url>', 'NATS holding the token store (env NATS_URL)')
  .option('--bucket <name>', 'token bucket (env ORG_TOKENS_BUCKET)');
token.command('create').description('create a token for --org and print it once').option('--name <name>', 'a label', 'token')
  .action((o: { name: string }) => tokenCreateCommand(globals(), { ...token.opts<TokenFlags>(), name: o.name }, print));
token.command('list').description("list the org's tokens (ids and labels only)").action(() => tokenListCommand(globals(), token.opts<TokenFlags>(), print));
token.command('revoke <tokenId>').description('revoke a token by id').action((id: string) => tokenRevokeCommand(globals(), id, token.opts<TokenFlags>(), print));

registerDeliveriesCommands(program, globals, print);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`switchboard: ${describeError(err, globals())}\n`);
  process.exit(1);
});
