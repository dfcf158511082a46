import { readFile } from 'node:fs/promises';
import { UsageError } from './errors.js';

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x08;
const DELETE = 0x7f;

/**
 * Reads one line typed at a terminal without echoing it: raw mode, so the terminal shows nothing of
 * the secret (not even on screen recordings or scroll-back). Enter or Ctrl-D ends it; Ctrl-C aborts.
 */
function readHidden(stdin: NodeJS.ReadStream): Promise<string> {
  process.stderr.write('Enter the secret (it is not shown) and press Enter: ');
  return new Promise((resolve, reject) => {
    const bytes: number[] = [];
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(bytes).toString('utf8'));
      bytes.fill(0);
    };
    const onData = (chunk: Buffer) => {
      for (const b of chunk) {
        if (b === CTRL_C) return finish(new UsageError('cancelled; nothing was stored'));
        if (b === CTRL_D || b === 0x0d || b === 0x0a) return finish();
        if (b === BACKSPACE || b === DELETE) {
          // Drop a whole UTF-8 character: continuation bytes first, then its lead byte.
          while (bytes.length > 0 && ((bytes[bytes.length - 1] ?? 0) & 0xc0) === 0x80) bytes.pop();
          bytes.pop();
        } else {
          bytes.push(b);
        }
      }
      chunk.fill(0);
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * Reads a secret from a file or standard input, never from argv (argv is visible to every user of the
 * machine through ps), and never echoes it: at a terminal the input is hidden. One trailing newline is
 * dropped so `echo`-ed secrets work.
 */
export async function readSecret(fromFile: string | undefined): Promise<string> {
  let text: string;
  if (fromFile) {
    try {
      text = await readFile(fromFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${fromFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  } else if (process.stdin.isTTY) {
    text = await readHidden(process.stdin);
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0) throw new UsageError('the secret is empty: pipe it on stdin or pass --from-file');
  return secret;
}
