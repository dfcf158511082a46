import { HttpMethod } from '@switchboard/contracts';

/** Whether repeating the request has no further effect (RFC 9110 9.2.2): only these are retried freely. */
export function isIdempotentMethod(method: HttpMethod): boolean {
  return method !== HttpMethod.HTTP_METHOD_POST && method !== HttpMethod.HTTP_METHOD_PATCH;
}
