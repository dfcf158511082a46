import { Integration } from '@switchboard/contracts';
import type { RegistryClient } from '@switchboard/client';
import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';
import { checkDefinitions, readDefinitionFile } from './definition-file.js';

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 5;
}

/** Top-level fields whose value differs, for "what changes" output. */
function changedFields(before: Integration, after: Integration): string[] {
  const a = Integration.toJSON(before) as Record<string, unknown>;
  const b = Integration.toJSON(after) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

export async function applyCommand(g: GlobalOptions, file: string, print: Print): Promise<void> {
  const read = await readDefinitionFile(file);
  // Every definition is checked before the first is sent: a bad file changes nothing.
  checkDefinitions(read);
  const definitions = read.integrations;
  await withClient(registryClient(g), async (client) => {
    for (const integration of definitions) {
      let current;
      try {
        current = await client.get(integration.key);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!current) {
        const created = await client.create(integration);
        print(`created   ${integration.key} (revision ${created.revision})`);
        continue;
      }
      const changes = changedFields(current.integration ?? Integration.fromPartial({}), integration);
      if (changes.length === 0) {
        print(`unchanged ${integration.key} (revision ${current.revision})`);
        continue;
      }
      const updated = await client.update(integration, current.revision);
      print(`updated   ${integration.key} (revision ${current.revision} -> ${updated.revision}): ${changes.join(', ')}`);
    }
    await warnUnsetCredentials(client, definitions, print);
  });
}

/** Says which credentials the applied definitions name but the registry does not hold yet, and how to set them. */
async function warnUnsetCredentials(client: RegistryClient, definitions: readonly Integration[], print: Print): Promise<void> {
  const held = new Set((await client.listCredentials()).map((c) => c.credentialId));
  const needed = new Map<string, string[]>();
  for (const i of definitions) {
    const ids = [i.auth?.credentialId ?? '', i.auth?.mtlsCredentialId ?? '', i.signingCredentialId].filter((id) => id !== '');
    for (const id of ids) needed.set(id, [...(needed.get(id) ?? []), i.key]);
  }
  for (const [id, keys] of needed) {
    if (held.has(id)) continue;
    print(`warning: credential ${id} (used by ${keys.join(', ')}) is not set: calls fail until you run \`switchboard credential set ${id} --type <type>\` with the secret on standard input`);
  }
}
