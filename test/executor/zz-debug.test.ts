import { afterAll, beforeAll, it } from 'vitest';
import { ParameterLocation as In, ParameterType } from '@switchboard/contracts';
import { startStack, type Stack } from '../support/stack.js';
import { json, startUpstream, type Upstream } from '../support/upstream.js';
import { define, invoke, outcomeName, register } from './helpers.js';
let upstream: Upstream; let stack: Stack;
beforeAll(async () => {
  upstream = await startUpstream((_req, res) => { const t = setTimeout(() => json(res, 200, {}), 3000); res.on('close', () => clearTimeout(t)); });
  stack = await startStack({ egressAllow: '127.0.0.1/32' });
  await register(stack, define({ key: 'slow', urlTemplate: `${upstream.url}/slow`, parameters: [{ name: 'q', type: ParameterType.PARAMETER_TYPE_STRING, location: In.PARAMETER_LOCATION_QUERY }], timeouts: { totalMs: 5000, connectMs: 0 } }));
});
afterAll(async () => { await stack?.stop(); await upstream?.close(); });
it('x', async () => {
  for (const d of [400, 400, 400, 600, 150, 1000]) {
    const t = Date.now();
    const r = await invoke(stack, 'slow', { q: 'x' }, {}, d).then((r) => `${outcomeName(r.outcome)} lat=${r.latencyMs.toFixed(1)}`, (e: Error) => e.message);
    console.log(d, Date.now() - t, r);
  }
});
