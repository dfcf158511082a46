// The console's JSON API, same origin. Writes carry the session's CSRF token in a header.

export interface FieldError {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly fieldErrors: readonly FieldError[]) {
    super(message);
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    throw new ApiError(
      res.status,
      typeof data['reason'] === 'string' ? data['reason'] : 'ERROR',
      typeof data['message'] === 'string' ? data['message'] : `request failed (${res.status})`,
      Array.isArray(data['fieldErrors']) ? (data['fieldErrors'] as FieldError[]) : [],
    );
  }
  return data as T;
}
