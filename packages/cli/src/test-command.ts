import { Outcome, TestResponse, type Integration } from '@switchboard/contracts';
import { executorClient, withClient, type GlobalOptions, type Print } from './connection.js';
import { readDefinitionFile } from './definition-file.js';
import { UsageError } from './errors.js';
import { describeInvoke } from './invoke-command.js';

export async function testCommand(g: GlobalOptions, key: string | undefined, flags: { args?: string; file?: string; json?: boolean }, print: Print): Promise<void> {
  let draft: Integration | undefined;
  if (flags.file) {
    const all = (await readDefinitionFile(flags.file)).integrations;
    draft = key ? all.find((i) => i.key === key) : all[0];
    if (!draft) throw new UsageError(`${flags.file} has no integration ${key}`);
  } else if (!key) {
    throw new UsageError('name the integration to test, or pass -f with an unsaved definition');
  }
  await withClient(executorClient(g), async (client) => {
    const res = await client.test({ orgId: g.org, toolKey: key ?? '', integration: draft, argumentsJson: flags.args ?? '' });
    if (flags.json) {
      print(JSON.stringify(TestResponse.toJSON(res), null, 2));
      return;
    }
    const req = res.request;
    if (req) {
      print(`> ${req.method} ${req.url}`);
      for (const h of req.headers) print(`> ${h.name}: ${h.value}`);
      if (req.body) print(`>\n> ${req.body}`);
    }
    if (res.response) {
      print(`< HTTP ${res.response.status}`);
      for (const h of res.response.headers) print(`< ${h.name}: ${h.value}`);
      print(`<\n< ${res.response.body}${res.response.bodyTruncated ? ' …(truncated)' : ''}`);
    }
    if (res.latency) {
      print(`latency: total ${res.latency.totalMs.toFixed(1)} ms, connect ${res.latency.connectMs.toFixed(1)} ms, first byte ${res.latency.firstByteMs.toFixed(1)} ms`);
    }
    if (res.gateRequirement) print(`on a live call: ${res.gateRequirement}`);
    if (res.result) print(describeInvoke(res.result));
    // As invoke does: a script can tell a failed test from a passing one.
    if (res.result?.outcome !== Outcome.OUTCOME_SUCCESS) process.exitCode = 2;
  });
}
