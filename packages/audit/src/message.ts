import type { AuditEvent } from '@switchboard/contracts';
import { decodeAuditEvent } from './codec.js';
import { AuditDecodeError } from './errors.js';

const PROTOBUF_MEDIA_TYPES = new Set(['application/protobuf', 'application/x-protobuf']);
const MESSAGE_NAME = 'switchboard.v1.AuditEvent';

/**
 * Reads a message taken from an audit subject. Publishers in other languages may omit Content-Type,
 * so only a header that names something else is refused; the payload must then decode as an AuditEvent.
 */
export function decodeAuditPayload(data: Uint8Array, contentType: string | undefined): AuditEvent {
  if (contentType !== undefined && contentType !== '' && !isAuditContentType(contentType)) {
    throw new AuditDecodeError('unsupported-content-type', `content type is not a ${MESSAGE_NAME} payload`);
  }
  return decodeAuditEvent(data);
}

/** Every message of a stream carries the same header: the last answer is kept (a split and regex saved per event). */
let lastContentType = '';
let lastVerdict = false;

function isAuditContentType(value: string): boolean {
  if (value === lastContentType) return lastVerdict;
  lastVerdict = parseAuditContentType(value);
  lastContentType = value;
  return lastVerdict;
}

function parseAuditContentType(value: string): boolean {
  const [mediaType = '', ...params] = value.split(';').map((part) => part.trim());
  if (!PROTOBUF_MEDIA_TYPES.has(mediaType.toLowerCase())) return false;
  for (const param of params) {
    const [key = '', raw = ''] = param.split('=').map((p) => p.trim());
    const name = raw.replace(/^"|"$/g, '');
    if ((key.toLowerCase() === 'proto' || key.toLowerCase() === 'messagetype') && name !== MESSAGE_NAME) return false;
  }
  return true;
}
