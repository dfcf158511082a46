// The loopback upstream every path of the benchmark calls: a node:http server in its own process (so
// it never shares the client's event loop) answering a small, pre-serialised JSON body at once.
//   GET  /patients/:id/appointments?date=…   X-API-Key checked          (API-key integration, floor A)
//   GET  /oauth-api/patients/:id/appointments  Authorization: Bearer    (OAuth integration)
//   POST /oauth/token                           client credentials, Basic (token endpoint)
//   POST /bookings                              X-API-Key checked          (confirmed integration)
//   GET  /slow/…                                answers after holdMs       (scale: calls in flight)
// Config arrives as JSON in argv[2]: { apiKey, clientId, clientSecret, accessToken, holdMs }.
import http from 'node:http';

const config = JSON.parse(process.argv[2] ?? '{}');
const json = (value) => Buffer.from(JSON.stringify(value));

const APPOINTMENTS = json({
  patient: { id: 'p-1001' },
  appointments: [
    { date: '2026-12-01', time: '09:30', provider: 'Dr. Grace Hopper' },
    { date: '2026-12-01', time: '15:00', provider: 'Dr. Alan Turing' },
  ],
});
const BOOKING = json({ data: { id: 'bk-000123', appointment: { starts_at: '2026-12-01T14:00:00Z' } } });
const TOKEN = json({ access_token: config.accessToken, token_type: 'Bearer', expires_in: 3600 });
const UNAUTHORISED = json({ error: 'unauthorised' });
const NOT_FOUND = json({ error: 'not found' });
const BASIC = `Basic ${Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64')}`;
const BEARER = `Bearer ${config.accessToken}`;

const counts = { appointments: 0, oauthApi: 0, token: 0, bookings: 0, slow: 0, rejected: 0, slowInFlight: 0, slowMaxInFlight: 0 };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url.startsWith('/patients/')) {
    if (req.headers['x-api-key'] !== config.apiKey) return reject(res);
    counts.appointments++;
    return send(res, 200, APPOINTMENTS);
  }
  if (req.method === 'GET' && url.startsWith('/oauth-api/')) {
    if (req.headers.authorization !== BEARER) return reject(res);
    counts.oauthApi++;
    return send(res, 200, APPOINTMENTS);
  }
  if (req.method === 'GET' && url.startsWith('/slow/')) {
    counts.slow++;
    counts.slowInFlight++;
    counts.slowMaxInFlight = Math.max(counts.slowMaxInFlight, counts.slowInFlight);
    setTimeout(() => {
      counts.slowInFlight--;
      send(res, 200, APPOINTMENTS);
    }, config.holdMs ?? 2_000);
    return undefined;
  }
  if (req.method === 'POST') {
    // Bodies are small; the request is answered once it has been read whole.
    req.resume();
    req.once('end', () => {
      if (url === '/oauth/token') {
        if (req.headers.authorization !== BASIC) return reject(res);
        counts.token++;
        return send(res, 200, TOKEN);
      }
      if (url === '/bookings') {
        if (req.headers['x-api-key'] !== config.apiKey) return reject(res);
        counts.bookings++;
        return send(res, 200, BOOKING);
      }
      return send(res, 404, NOT_FOUND);
    });
    return undefined;
  }
  return send(res, 404, NOT_FOUND);
});

function reject(res) {
  counts.rejected++;
  send(res, 401, UNAUTHORISED);
}

// Connections are reused by undici; keep them open across the pauses between benchmark runs.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;

server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send({ type: 'ready', port: server.address().port });
});

process.on('message', (msg) => {
  if (msg.cmd === 'stats') process.send({ id: msg.id, reply: { ...counts } });
  if (msg.cmd === 'reset') {
    for (const k of Object.keys(counts)) if (k !== 'slowInFlight') counts[k] = 0;
    process.send({ id: msg.id, reply: { ...counts } });
  }
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.once('disconnect', () => process.exit(0));
