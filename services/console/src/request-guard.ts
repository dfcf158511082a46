import type { IncomingMessage } from 'node:http';
import { timingSafeEqualString } from '@switchboard/crypto';
import { SwitchboardError } from '@switchboard/errors';
import type { Session } from './sessions.js';

export const CSRF_HEADER = 'x-csrf-token';

/**
 * A write must come from the console's own page: when the browser names an Origin it must be this host.
 * (SameSite=Strict already keeps the cookie off cross-site requests; this refuses them outright.)
 */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new SwitchboardError('ORIGIN_REJECTED', 'this request came from another site');
  }
  if (host !== req.headers.host) throw new SwitchboardError('ORIGIN_REJECTED', 'this request came from another site');
}

/** Every write carries the session's CSRF token in a header, which another site can neither read nor set. */
export function checkCsrf(req: IncomingMessage, session: Session): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || sent === '' || !timingSafeEqualString(sent, session.csrfToken)) {
    throw new SwitchboardError('CSRF_REJECTED', 'this write is missing the page\'s CSRF token; reload the page and try again');
  }
}
