import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';

/**
 * Reads a secret from a file or standard input, never from argv (argv is visible to every user of the
 * machine through ps). One trailing newline is dropped so `echo`-ed secrets work.
 */
export async function readSecret(fromFile: string | undefined): Promise<string> {
  let text: string;
  if (fromFile) {
    text = await readFile(fromFile, 'utf8');
  } else {
    if (process.stdin.isTTY) process.stderr.write('Enter the secret and press Ctrl-D: ');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0) throw new UsageError('the secret is empty: pipe it on stdin or pass --from-file');
  return secret;
}
