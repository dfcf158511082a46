import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AuditPublisher, ensureAuditStream, type AuditLogger } from '@switchboard/audit';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type PrivateNatsServer } from '../support/nats-server.js';
import { waitFor } from '../support/processes.js';
import { makeEvent, streamLimits, uniqueAuditNames } from './helpers.js';

// A NATS user that may not publish to the audit subjects (a permissions mistake in a deployment's
// NATS configuration) gets no PubAck: the server refuses the message and says so on the connection.
// The publisher must say why in its log, not only that an acknowledgement never came.
describe('audit publisher with a NATS user refused the audit subjects', () => {
  const names = uniqueAuditNames();
  const dir = mkdtempSync(join(tmpdir(), 'sb-audit-perm-'));
  let server: PrivateNatsServer;
  let admin: NatsConnection;
  let executor: NatsConnection;

  beforeAll(async () => {
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      `authorization {
  users = [
    { user: admin, password: admin }
    { user: executor, password: executor, permissions: { publish: { deny: ["${names.prefix}.>"] }, subscribe: { allow: ["_INBOX.>"] } } }
  ]
}
`,
    );
    server = await startNatsServer({ args: ['-c', config] });
    admin = await connect({ servers: server.url, user: 'admin', pass: 'admin' });
    await ensureAuditStream(await jetstreamManager(admin), streamLimits(names));
    executor = await connect({ servers: server.url, user: 'executor', pass: 'executor' });
  });

  afterAll(async () => {
    await executor?.close();
    await admin?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs the server's permissions violation for the audit subject, and keeps the event to retry", async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger: AuditLogger = { info: () => undefined, warn: (fields, message) => warnings.push({ fields, message }), error: () => undefined };
    const publisher = new AuditPublisher(executor, { maxBuffered: 10, subjectPrefix: names.prefix, logger, publishTimeoutMs: 2_000 });
    publisher.publish(makeEvent(1));
    await waitFor(() => warnings.length > 0, { timeoutMs: 5_000, what: 'a publish failure warning' });
    expect(String(warnings[0]?.fields['error'])).toMatch(/permissions violation for publish to .*audit/i);
    expect(publisher.stats()).toMatchObject({ published: 0, dropped: 0 });
    publisher.close();
  });
});
