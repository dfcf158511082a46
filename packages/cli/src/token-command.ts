import type { NatsConnection } from '@nats-io/transport-node';
import { OrgTokenStore } from '@switchboard/org-tokens';
import type { GlobalOptions, Print } from './connection.js';
import { UsageError } from './errors.js';
import { connectCliNats } from './nats.js';

/** Where the org token store lives: NATS (env NATS_URL) and its bucket (env ORG_TOKENS_BUCKET). */
export interface TokenFlags {
  readonly natsUrl?: string;
  readonly bucket?: string;
}

async function withStore<T>(flags: TokenFlags, run: (store: OrgTokenStore) => Promise<T>): Promise<T> {
  let nc: NatsConnection;
  try {
    nc = await connectCliNats(flags.natsUrl, 5_000);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  try {
    // The console and MCP gateway own the bucket (at KV_REPLICAS); the CLI only binds to it.
    return await run(await OrgTokenStore.bind(nc, { bucket: flags.bucket ?? process.env['ORG_TOKENS_BUCKET'], timeoutMs: 10_000 }));
  } finally {
    await nc.close();
  }
}

/**
 * `switchboard token create --org X [--name N]`: prints the new token alone on stdout (so scripts can
 * capture it) and a note on stderr. It is shown this once; only its hash is stored.
 */
export async function tokenCreateCommand(g: GlobalOptions, flags: TokenFlags & { name?: string }, print: Print): Promise<void> {
  const { token, info } = await withStore(flags, (store) => store.create(g.org, flags.name ?? 'token'));
  print(token);
  process.stderr.write(`token ${info.tokenId} ("${info.name}") for org ${info.orgId}: shown once, store it now; revoke with \`switchboard --org ${info.orgId} token revoke ${info.tokenId}\`\n`);
}

export async function tokenListCommand(g: GlobalOptions, flags: TokenFlags, print: Print): Promise<void> {
  const tokens = await withStore(flags, (store) => store.list(g.org));
  if (tokens.length === 0) return print(`org ${g.org} has no tokens`);
  for (const t of tokens) print(`${t.tokenId}  ${t.createdAt}  ${t.name}`);
}

export async function tokenRevokeCommand(g: GlobalOptions, tokenId: string, flags: TokenFlags, print: Print): Promise<void> {
  const revoked = await withStore(flags, (store) => store.revoke(g.org, tokenId));
  if (!revoked) throw new UsageError(`org ${g.org} has no token ${tokenId}`);
  print(`revoked token ${tokenId} of org ${g.org}`);
}
