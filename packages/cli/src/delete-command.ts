import { registryClient, withClient, type GlobalOptions, type Print } from './connection.js';

export async function deleteCommand(g: GlobalOptions, key: string, print: Print): Promise<void> {
  await withClient(registryClient(g), async (client) => {
    await client.delete(key);
    print(`deleted ${key}`);
  });
}
