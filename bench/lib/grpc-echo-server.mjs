// Floor B: a bare grpc-js unary server in its own process. It serves the real ExecutorService contract
// with the executor's server options but does no work: Invoke answers a canned InvokeResponse (the
// bytes of a real one, sent over IPC), so the messages on the wire have the same sizes as the
// executor's and the same ts-proto codec runs on both sides.
import { load, workspace } from './deps.mjs';

const grpc = await load('@grpc/grpc-js');
const { ExecutorServiceService, InvokeResponse } = await workspace('contracts');

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
    callback(null, canned);
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
