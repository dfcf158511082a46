// A small practice-management API on loopback for the demo: the integration the README invokes.
import http from 'node:http';

export const DEMO_API_KEY_HEADER = 'x-api-key';

const patients = {
  'p-1001': { name: 'Ada Lovelace', appointments: [
    { date: '2026-12-01', time: '09:30', provider: 'Dr. Grace Hopper', type: 'cleaning' },
    { date: '2026-12-01', time: '15:00', provider: 'Dr. Alan Turing', type: 'check-up' },
  ] },
  'p-1002': { name: 'Charles Babbage', appointments: [] },
};

export function startDemoApi({ port = 0, host = '127.0.0.1', apiKey }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers[DEMO_API_KEY_HEADER] !== apiKey) return send(401, { error: 'invalid api key' });
    const m = /^\/patients\/([^/]+)\/appointments$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, { error: 'not found' });
    const patient = patients[decodeURIComponent(m[1])];
    if (!patient) return send(404, { error: 'no such patient' });
    const date = url.searchParams.get('date');
    const appointments = patient.appointments.filter((a) => !date || a.date === date);
    send(200, {
      patient: { id: m[1], name: patient.name },
      appointments,
      seen_headers: {
        call_id: req.headers['x-allison-call-id'] ?? null,
        org_id: req.headers['x-allison-org-id'] ?? null,
        tool_key: req.headers['x-allison-tool-key'] ?? null,
      },
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
