import { it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { startNatsCluster } from '../support/nats-cluster.js';

it('kv watch after node loss', async () => {
  const cluster = await startNatsCluster({ size: 3 });
  const t0 = Date.now();
  const log = (...a: unknown[]) => console.log('DEBUG', Date.now() - t0, ...a);
  try {
    const writer = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const kvw = await new Kvm(writer).create('dbg', { history: 5, replicas: 3 });
    await kvw.put('a', 'x');
    const watcherNc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    void (async () => { for await (const s of watcherNc.status()) log('status', s.type, JSON.stringify((s as {server?: string}).server ?? '')); })();
    const kv = await new Kvm(watcherNc).open('dbg');
    const iter = await kv.watch();
    const seen: string[] = [];
    void (async () => { for await (const e of iter) { seen.push(e.key); log('seen', e.key); } log('iter ended'); })();
    await new Promise((r) => setTimeout(r, 500));
    const jsm = await jetstreamManager(writer);
    for await (const ci of jsm.consumers.list('KV_dbg')) log('consumer', ci.name, JSON.stringify(ci.cluster));
    const si = await jsm.streams.info('KV_dbg');
    log('stream', JSON.stringify(si.cluster));
    let victim = '';
    for await (const ci of jsm.consumers.list('KV_dbg')) victim = ci.cluster?.leader ?? '';
    log('killing consumer host', victim, 'watcher connected to', watcherNc.getServer());
    await cluster.node(victim).server.kill();
    void (async () => {
      const probeNc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250 });
      for (let j = 0; j < 100; j++) {
        const t = Date.now();
        try {
          const pj = await jetstreamManager(probeNc, { timeout: 2000 });
          const ci = await pj.consumers.add('KV_dbg', { name: `probe_${j}`, deliver_subject: `_probe.${j}`, ack_policy: 'none' as never, num_replicas: 1, mem_storage: true, inactive_threshold: 5_000_000_000 });
          log('probe add ok', j, Date.now() - t, JSON.stringify(ci.cluster));
          break;
        } catch (e) { log('probe add failed', j, Date.now() - t, String(e)); }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    for (let i = 0; i < 30; i++) {
      await kvw.put(`k${i}`, 'v').catch((e) => log('put failed', String(e)));
      await new Promise((r) => setTimeout(r, 3000));
      if (seen.includes(`k${i}`)) { log('recovered at', i); break; }
    }
    await writer.close(); await watcherNc.close();
  } finally {
    await cluster.dispose();
  }
}, 150_000);
