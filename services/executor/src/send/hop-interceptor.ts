import type { Dispatcher } from 'undici';
import { planOf } from './send-plan.js';

/**
 * Lets the request's plan see, and change, every hop undici sends: placed below the redirect
 * interceptor, it runs for the first hop and for each followed redirect with that hop's own origin,
 * path, method and body (see guardHop: credentials kept to their origin, each hop signed over itself).
 */
export function hopInterceptor(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const guard = planOf(opts)?.hop;
    if (guard === undefined) return dispatch(opts, handler);
    const guarded = guard({
      origin: String(opts.origin ?? ''),
      path: opts.path,
      method: opts.method,
      body: typeof opts.body === 'string' ? opts.body : '',
      headers: headerRecord(opts.headers),
    });
    return dispatch(guarded === undefined ? opts : { ...opts, path: guarded.path, headers: guarded.headers }, handler);
  };
}

/**
 * The hop's headers as one record. The first hop has ours (a record); undici's redirect handler
 * passes later hops a flat [name, value, ...] list.
 */
function headerRecord(headers: Dispatcher.DispatchOptions['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out[String(headers[i])] = String(headers[i + 1]);
    return out;
  }
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    // undici gives strings, string lists and (content-length) numbers.
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}
