// The console's JSON API, same origin. Writes carry the session's CSRF token in a header.

export interface FieldError {
  readonly field: string;
  readonly message: string;
  readonly line?: number;
}

/** Every failure of a call, network failures included (status 0, reason NETWORK), so no caller is left waiting. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly fieldErrors: readonly FieldError[]) {
    super(message);
  }
}

export const NETWORK_MESSAGE = 'the console could not be reached (network error); check the connection and try again';

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/**
 * Asked when a signed-in call answers 401 (the session expired or was ended elsewhere): resolves true once
 * the user signed in again (the call is then sent once more), false if they gave up. The page keeps its edits.
 */
type Reauthenticate = () => Promise<boolean>;
let reauthenticate: Reauthenticate | undefined;
let pendingReauth: Promise<boolean> | undefined;

export function onSessionExpired(fn: Reauthenticate | undefined): void {
  reauthenticate = fn;
}

function signInAgain(): Promise<boolean> {
  if (!reauthenticate) return Promise.resolve(false);
  pendingReauth ??= reauthenticate().finally(() => {
    pendingReauth = undefined;
  });
  return pendingReauth;
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', NETWORK_MESSAGE, []);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 401 && path !== '/api/session' && (await signInAgain())) res = await send(method, path, body);
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

/** The sentence to show for any failure of an action. */
export function failureText(err: unknown): string {
  return err instanceof ApiError ? err.message : 'something went wrong in the page; reload it and try again';
}
