import type { Metadata } from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';

export function checkServiceToken(metadata: Metadata, expected: string): boolean {
  const header = metadata.get('authorization')[0];
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}
