// Floor B: a bare grpc-js unary server in its own process. It serves the real ExecutorService contract
// with the executor's server options but does no work: Invoke answers a canned InvokeResponse (the
// bytes of a real one, sent over IPC), so the messages on the wire have the same sizes as the
// executor's and the same ts-proto codec runs on both sides.
// With { proxy: { url, headers } } in argv[2] it is floor C instead: each Invoke first sends that HTTP
// request with undici (a pool like the executor's) and reads the JSON body, then answers the canned
// response. That is the least a gRPC-to-HTTP service can do: no pipeline, no auth, no audit.
import { randomUUID } from 'node:crypto';
import { load, workspace } from './deps.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const grpc = await load('@grpc/grpc-js');
const { ExecutorServiceService, InvokeResponse } = await workspace('contracts');
const undici = config.proxy ? await load('undici') : undefined;
const agent = undici ? new undici.Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 10_000 }) : undefined;

let canned = InvokeResponse.fromPartial({});
const server = new grpc.Server({
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_permit_without_calls': 1,
});
let calls = 0;
server.addService(ExecutorServiceService, {
  invoke: (_call, callback) => {
    calls++;
    if (!config.proxy) return callback(null, canned);
    undici
      .request(config.proxy.url, { dispatcher: agent, headers: { ...config.proxy.headers, 'x-request-id': randomUUID() } })
      .then(async (res) => {
        await res.body.json();
        callback(null, canned);
      })
      .catch((err) => callback({ code: grpc.status.UNAVAILABLE, details: String(err) }));
    return undefined;
  },
  test: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'echo server' }),
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.send({ type: 'ready', port });
});

process.on('message', (msg) => {
  if (msg.cmd === 'set-response') {
    canned = InvokeResponse.decode(Buffer.from(msg.base64, 'base64'));
    process.send({ id: msg.id, reply: { bytes: InvokeResponse.encode(canned).finish().length } });
  } else if (msg.cmd === 'stats') {
    process.send({ id: msg.id, reply: { calls } });
  }
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
process.once('disconnect', () => process.exit(0));
