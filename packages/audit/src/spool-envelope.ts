/** What the publisher keeps in the spool for one event: where it goes, its message id and its bytes. */
export interface SpoolEnvelope {
  readonly subject: string;
  readonly msgID: string;
  readonly bytes: Uint8Array;
}

/** `u16 subject length | subject | u16 msgID length | msgID | event bytes` (lengths little-endian, UTF-8). */
export function encodeSpoolEnvelope(e: SpoolEnvelope): Uint8Array {
  const subject = Buffer.from(e.subject);
  const msgID = Buffer.from(e.msgID);
  const out = Buffer.allocUnsafe(4 + subject.length + msgID.length + e.bytes.length);
  out.writeUInt16LE(subject.length, 0);
  subject.copy(out, 2);
  out.writeUInt16LE(msgID.length, 2 + subject.length);
  msgID.copy(out, 4 + subject.length);
  out.set(e.bytes, 4 + subject.length + msgID.length);
  return out;
}

export function decodeSpoolEnvelope(payload: Uint8Array): SpoolEnvelope {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const subjectLength = buf.readUInt16LE(0);
  const subject = buf.toString('utf8', 2, 2 + subjectLength);
  const msgIDLength = buf.readUInt16LE(2 + subjectLength);
  const start = 4 + subjectLength;
  return { subject, msgID: buf.toString('utf8', start, start + msgIDLength), bytes: buf.subarray(start + msgIDLength) };
}
