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

/**
 * The demo API's own OpenAPI document, served at /openapi.yaml without the key (as vendors publish
 * theirs), so `switchboard import openapi http://127.0.0.1:4010/openapi.yaml` works as the README
 * shows. Its server URL is relative: the import resolves it against the address it was read from.
 */
export const DEMO_OPENAPI_YAML = `openapi: 3.0.3
info:
  title: Demo practice management API
  version: 1.0.0
servers:
  - url: /
components:
  securitySchemes:
    PmsApiKey:
      type: apiKey
      in: header
      name: X-API-Key
security:
  - PmsApiKey: []
paths:
  /patients/{patient_id}/appointments:
    get:
      operationId: listPatientAppointments
      summary: List a patient's appointments
      description: A patient's appointments, optionally on one day, with the time, the provider and the visit type.
      parameters:
        - name: patient_id
          in: path
          required: true
          description: The patient's id, e.g. p-1001.
          schema:
            type: string
            pattern: '^p-[0-9]+$'
          example: p-1001
        - name: date
          in: query
          description: Only appointments on this day.
          schema:
            type: string
            format: date
          example: '2026-12-01'
      responses:
        '200':
          description: The patient and their appointments.
          content:
            application/json:
              schema:
                type: object
                properties:
                  patient:
                    type: object
                    properties:
                      id: { type: string }
                      name: { type: string }
                  appointments:
                    type: array
                    items:
                      type: object
                      properties:
                        date: { type: string, format: date }
                        time: { type: string }
                        provider: { type: string }
                        type: { type: string }
        '401':
          description: The API key is missing or wrong.
        '404':
          description: No such patient.
`;

export function startDemoApi({ port = 0, host = '127.0.0.1', apiKey }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/openapi.yaml') {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      return res.end(DEMO_OPENAPI_YAML);
    }
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
