import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeliveryServiceService, ExecutorServiceService, RegistryServiceService } from '@switchboard/contracts';
import { methodNamesOf, parseServiceIdentities, type ServiceIdentity } from '@switchboard/grpc-kit';
import { OVERLAYS, renderOverlay, SERVICE_IDENTITIES, workloads, type K8sObject } from '../support/k8s-render.js';
import { ROOT } from '../support/stack.js';

type Server = 'registry' | 'executor';
const METHODS: Record<Server, string[]> = {
  registry: methodNamesOf(RegistryServiceService),
  executor: methodNamesOf(ExecutorServiceService, DeliveryServiceService),
};

/** SECURITY.md's "Who may call what" table: per `server Method`, the cell of each column, keyed by the column's first code span. */
function securityTable(): { columns: string[]; rows: Map<string, Map<string, string>> } {
  const text = readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
  const section = text.slice(text.indexOf('## Who may call what'));
  const lines = section.split('\n').filter((l) => l.startsWith('| '));
  const cells = (line: string) => line.slice(2, -2).split(' | ').map((c) => c.trim());
  const columns = cells(lines[0]!).map((h) => /`([^`]+)`/.exec(h)?.[1] ?? h);
  const rows = new Map<string, Map<string, string>>();
  for (const line of lines.slice(2)) {
    const row = cells(line);
    const server: Server = /^(executor|DeliveryService)\b/.test(row[0]!) ? 'executor' : 'registry';
    for (const m of row[0]!.matchAll(/`([A-Za-z]+)`/g)) {
      rows.set(`${server} ${m[1]}`, new Map(columns.map((c, i) => [c, row[i]!])));
    }
  }
  return { columns, rows };
}

/** The allow-lists the manifests give the servers: every workload running the registry or executor image. */
function shippedIdentities(objects: readonly K8sObject[]): Record<Server, ServiceIdentity[][]> {
  const found: Record<Server, ServiceIdentity[][]> = { registry: [], executor: [] };
  for (const w of workloads(objects)) {
    for (const c of w.spec.template.spec.containers) {
      const server = (['registry', 'executor'] as const).find((s) => c.image.includes(s));
      if (!server) continue;
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      expect(env.has('SERVICE_TOKEN'), `${w.metadata.name} has no full-access SERVICE_TOKEN`).toBe(false);
      const spec = env.get('SERVICE_IDENTITIES')?.value;
      expect(spec, `${w.metadata.name} sets SERVICE_IDENTITIES`).toBeDefined();
      // Each identity's token comes from that identity's own Secret; a placeholder stands for its value here.
      const tokens: Record<string, string> = {};
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (e.name.startsWith('SERVICE_TOKEN_') && ref) {
          expect(ref.name, `${w.metadata.name} ${e.name}`).toMatch(new RegExp(`^switchboard-service-token-${e.name.slice(14).toLowerCase().replace(/_/g, '-')}(-[a-z0-9]{10})?$`));
          tokens[e.name] = `${ref.name}-placeholder-token`;
        }
      }
      found[server].push(parseServiceIdentities(spec, { knownMethods: METHODS[server], env: tokens, clientCertificates: false }));
    }
  }
  return found;
}

const allows = (identity: ServiceIdentity | undefined, method: string) => identity !== undefined && (identity.methods === '*' || identity.methods.has(method));

/**
 * Issue 17 items 4 and 5: SECURITY.md's table of callers × methods is what the manifests configure.
 * Every method of every server (enumerated from the generated service definitions, so a new RPC needs
 * a row) has a row, and each service identity's cell says "allowed" exactly where the shipped
 * SERVICE_IDENTITIES of every registry and executor workload allow it. test/security/tenant-authorization.test.ts
 * runs the real servers with those same allow-lists.
 */
describe.each(OVERLAYS)("SECURITY.md's callers × methods table and the %s overlay's allow-lists", (overlay) => {
  const objects = renderOverlay(overlay);
  const shipped = shippedIdentities(objects);
  const { columns, rows } = securityTable();

  it('has a row for every method of the registry, the executor and DeliveryService, and nothing else', () => {
    const expected = (['registry', 'executor'] as const).flatMap((s) => METHODS[s].map((m) => `${s} ${m}`));
    expect([...rows.keys()].sort()).toEqual(expected.sort());
  });

  it('has a column for each shipped service identity, and the manifests ship exactly those', () => {
    for (const server of ['registry', 'executor'] as const) {
      expect(shipped[server].length, `${overlay} runs a ${server}`).toBeGreaterThan(0);
      for (const ids of shipped[server]) expect(ids.map((i) => i.name).sort()).toEqual([...SERVICE_IDENTITIES].sort());
    }
    for (const identity of SERVICE_IDENTITIES) expect(columns).toContain(identity);
  });

  it("says allowed for an identity exactly where the servers' SERVICE_IDENTITIES allow it", () => {
    for (const [key, cells] of rows) {
      const [server, method] = key.split(' ') as [Server, string];
      for (const ids of shipped[server]) {
        for (const identity of SERVICE_IDENTITIES) {
          const cell = cells.get(identity)!;
          const allowed = allows(ids.find((i) => i.name === identity), method);
          expect(cell, `${key} × ${identity}`).toMatch(allowed ? /^allowed, any org$/ : /^`?PERMISSION_DENIED`?/);
        }
      }
    }
  });
});
