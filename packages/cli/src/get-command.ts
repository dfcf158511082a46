import { stringify as toYaml } from 'yaml';
import { integrationToDocument } from '@switchboard/definition';
import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';
import { UsageError } from './errors.js';

export async function getCommand(g: GlobalOptions, key: string, output: string, revision: number, print: Print): Promise<void> {
  if (output !== 'yaml' && output !== 'json') throw new UsageError('-o must be yaml or json');
  if (!Number.isSafeInteger(revision) || revision < 0) throw new UsageError('--revision must be a revision number from `history`');
  await withClient(registryClient(g), async (client) => {
    const record = await client.get(key, revision);
    const doc = integrationToDocument(record.integration!);
    // Both outputs apply again as they are: the revision goes in a YAML comment, and JSON carries none.
    print(output === 'json' ? JSON.stringify(doc, null, 2) : `# revision ${record.revision}\n${toYaml(doc)}`);
  });
}
