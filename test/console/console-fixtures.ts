import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Upstream } from '../support/upstream.js';

/** A definition in the console editor's format, calling the loopback upstream with an API key. */
export function lookupYaml(upstream: Upstream, key = 'look_up_order', options: { credentialId?: string; urlTemplate?: string } = {}): string {
  return `key: ${key}
name: Look up an order
description: Finds an order by its id. Use it when the caller asks where their order is.
method: GET
url_template: "${options.urlTemplate ?? `${upstream.url}/orders/{order_id}`}"
parameters:
  - name: order_id
    description: The order id, e.g. o-17.
    type: string
    required: true
    in: path
auth:
  type: api_key
  credential_id: ${options.credentialId ?? 'shop-key'}
  api_key_in: header
  api_key_name: X-API-Key
response_mapping:
  fields:
    - name: status
      expression: status
  summary_template: "The order is {{ status }}."
burden:
  level: conversational
sample_arguments:
  order_id: o-17
`;
}

/** Fetch with a cookie jar of one session, the way a browser on the console's page would send it. */
export class ApiSession {
  cookie = '';
  csrf = '';

  constructor(readonly base: string) {}

  async signIn(token: string): Promise<Response> {
    const res = await fetch(`${this.base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    if (res.ok) this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    return res;
  }

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(method !== 'GET' && this.csrf ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }
}

/** An async (webhook-style) integration: POSTs a message to the upstream's /notify, at most two attempts. */
export function notifyYaml(upstream: Upstream, key = 'notify_staff'): string {
  return `key: ${key}
name: Notify staff
description: Sends a message to the front desk. Use it when the caller asks to leave a message.
method: POST
url_template: "${upstream.url}/notify"
parameters:
  - name: message
    description: The message to pass on.
    type: string
    required: true
    in: body
burden:
  level: conversational
delivery:
  mode: async
  max_attempts: 2
sample_arguments:
  message: Please call back
`;
}

/** A small OpenAPI 3.1 document served by the upstream: two operations, and a cookie parameter that cannot be translated. */
export function shopOpenApi(upstream: Upstream): string {
  return `openapi: 3.1.0
info:
  title: Shop orders
  version: 1.0.0
servers:
  - url: ${upstream.url}/v1
paths:
  /orders/{order_id}:
    get:
      operationId: getOrder
      summary: Look up an order
      description: Finds an order by its id.
      parameters:
        - name: order_id
          in: path
          required: true
          description: The order id, e.g. o-17.
          schema:
            type: string
        - name: session
          in: cookie
          schema:
            type: string
      responses:
        '200':
          description: The order
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Order'
  /orders:
    post:
      operationId: createOrder
      summary: Place an order
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [sku]
              properties:
                sku:
                  type: string
                  description: The product's SKU.
                quantity:
                  type: integer
                  minimum: 1
      responses:
        '201':
          description: Created
components:
  schemas:
    Order:
      type: object
      properties:
        status:
          type: string
`;
}

/**
 * `count` audit records for `orgId`, cloned from `template` (a record the audit logger wrote for a real
 * invocation in the same test) and written as one more audit file: newest first, one a minute back from
 * `now`, every 10th an UPSTREAM_ERROR (HTTP 502), alternating between two tools, latencies with the
 * float noise real ones carry (0.324945000000298 + i).
 */
export function writeAuditFixture(dir: string, template: Record<string, unknown>, orgId: string, count: number, now = Date.now()): void {
  const lines: string[] = [];
  for (let i = count - 1; i >= 0; i -= 1) {
    const failed = i % 10 === 0;
    lines.push(
      JSON.stringify({
        ...template,
        orgId,
        invocationId: `fixture-${orgId}-${i}`,
        callId: `call-${i}`,
        toolKey: i % 2 === 0 ? 'fixture_a' : 'fixture_b',
        time: new Date(now - i * 60_000).toISOString(),
        test: false,
        outcome: failed ? 'OUTCOME_UPSTREAM_ERROR' : 'OUTCOME_SUCCESS',
        httpStatus: failed ? 502 : 200,
        latencyMs: 0.324945000000298 + i,
        breakerState: 'closed',
      }),
    );
  }
  writeFileSync(path.join(dir, `audit-2026-01-01-fixture-${orgId.slice(-8)}-0001.jsonl`), `${lines.join('\n')}\n`);
}
