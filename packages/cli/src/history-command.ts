import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';

export async function historyCommand(g: GlobalOptions, key: string, print: Print): Promise<void> {
  await withClient(registryClient(g), async (client) => {
    for (const r of await client.history(key)) {
      print(`rev ${String(r.revision).padEnd(6)} ${r.updatedAt?.toISOString() ?? ''} ${r.integration ? (r.integration.enabled ? 'enabled' : 'disabled') : 'deleted'}`);
    }
  });
}
