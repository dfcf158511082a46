import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';

export async function listCommand(g: GlobalOptions, print: Print): Promise<void> {
  await withClient(registryClient(g), async (client) => {
    const records = await client.list();
    if (records.length === 0) print(`no integrations in org ${g.org}`);
    for (const r of records) {
      const i = r.integration!;
      print(`${i.key.padEnd(32)} ${i.enabled ? 'enabled ' : 'disabled'} rev ${String(r.revision).padEnd(5)} ${i.name}`);
    }
  });
}
