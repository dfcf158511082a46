import { SwitchboardError } from '@switchboard/errors';
import type { SentResponse } from './http-sender.js';

/**
 * A non-2xx answer, kept whole so Test can show it and a delivery can read its Retry-After. 5xx
 * counts against the breaker, 4xx does not (the reasons the breaker filters on); its reason on the
 * wire is `HTTP_<status>`.
 */
export class UpstreamStatusError extends SwitchboardError {
  constructor(readonly sent: SentResponse, message = `the upstream answered HTTP ${sent.status}`) {
    super(sent.status >= 500 ? 'UPSTREAM_SERVER_ERROR' : 'UPSTREAM_CLIENT_ERROR', message);
  }

  /** The stable reason of the outcome: `HTTP_503`. */
  get httpReason(): string {
    return `HTTP_${this.sent.status}`;
  }
}
