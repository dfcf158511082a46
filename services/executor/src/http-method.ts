import { HttpMethod } from '@switchboard/contracts';

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const NAMES: Record<number, HttpMethodName> = {
  [HttpMethod.HTTP_METHOD_GET]: 'GET',
  [HttpMethod.HTTP_METHOD_POST]: 'POST',
  [HttpMethod.HTTP_METHOD_PUT]: 'PUT',
  [HttpMethod.HTTP_METHOD_PATCH]: 'PATCH',
  [HttpMethod.HTTP_METHOD_DELETE]: 'DELETE',
};

export function methodName(method: HttpMethod): HttpMethodName {
  return NAMES[method] ?? 'GET';
}
