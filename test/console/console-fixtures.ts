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
