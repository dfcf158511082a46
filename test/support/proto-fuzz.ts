import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ROOT } from './stack.js';

/** The parts of a protobuf descriptor (buf's JSON image) that decide what a message looks like on the wire. */
interface FieldDescriptor {
  readonly name: string;
  readonly number: number;
  readonly label?: string;
  readonly type: string;
  readonly typeName?: string;
}

interface MessageDescriptor {
  readonly name: string;
  readonly field?: FieldDescriptor[];
  readonly nestedType?: MessageDescriptor[];
}

interface FileDescriptor {
  readonly package?: string;
  readonly messageType?: MessageDescriptor[];
  readonly service?: { name: string; method: { name: string; inputType: string }[] }[];
}

/** One RPC of the contracts: its service's full name, its gRPC path and the full name of its request message. */
export interface RpcDescriptor {
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly inputType: string;
}

export interface Contracts {
  readonly rpcs: readonly RpcDescriptor[];
  readonly messages: ReadonlyMap<string, MessageDescriptor>;
}

/**
 * Every service, method and message of `proto/` (with the imported well-known types), as buf compiles
 * them: the same source the generated code comes from, so a new RPC or field is fuzzed without a change here.
 */
export function loadContracts(): Contracts {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-proto-'));
  try {
    const out = path.join(dir, 'image.json');
    const buf = path.join(ROOT, 'packages', 'contracts', 'node_modules', '.bin', 'buf');
    execFileSync(buf, ['build', path.join(ROOT, 'proto'), '-o', out], { cwd: path.join(ROOT, 'packages', 'contracts') });
    const image = JSON.parse(readFileSync(out, 'utf8')) as { file: FileDescriptor[] };
    const messages = new Map<string, MessageDescriptor>();
    const rpcs: RpcDescriptor[] = [];
    const add = (prefix: string, m: MessageDescriptor) => {
      const name = `${prefix}.${m.name}`;
      messages.set(name, m);
      for (const nested of m.nestedType ?? []) add(name, nested);
    };
    for (const file of image.file) {
      const pkg = file.package ? `.${file.package}` : '';
      for (const m of file.messageType ?? []) add(pkg, m);
      for (const s of file.service ?? []) {
        const service = `${file.package ? `${file.package}.` : ''}${s.name}`;
        for (const m of s.method) rpcs.push({ service, method: m.name, path: `/${service}/${m.name}`, inputType: m.inputType });
      }
    }
    return { rpcs, messages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const U64 = (1n << 64n) - 1n;

function varint(value: bigint): number[] {
  let v = value & U64;
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const tag = (field: number, wireType: number) => varint(BigInt(field * 8 + wireType));
const delimited = (field: number, bytes: Uint8Array | number[]) => [...tag(field, 2), ...varint(BigInt(bytes.length)), ...bytes];

function fixed(bytes: number, write: (view: DataView) => void): number[] {
  const view = new DataView(new ArrayBuffer(bytes));
  write(view);
  return [...new Uint8Array(view.buffer)];
}

/** What the fuzzer draws strings from, besides arbitrary text: values that reach deeper code, and classic hostile ones. */
export interface FuzzPool {
  /** Strings that name real things (the test's org, an existing integration key, a loopback upstream URL). */
  readonly known: readonly string[];
  /** Values for fields of a given name (`org_id`, `tool_key`), drawn most of the time, so calls get past their lookups. */
  readonly byField?: Readonly<Record<string, readonly string[]>>;
}

/**
 * No string or byte the fuzzer makes contains ":", so none is an absolute URL: a fuzzed definition can never
 * make the executor resolve or reach a host name (tests send traffic to loopback only). URLs come from
 * the pool alone.
 */
const noColon = (s: string) => s.replaceAll(':', '_');

function hostileStrings(): string[] {
  return [
    '',
    ' ',
    '\u0000',
    'a\r\nX-Injected: 1'.replace(':', '='),
    '\u202e\ud800',
    'a'.repeat(9_000),
    '\u{1F642}'.repeat(3_000),
    '../../etc/passwd',
    '{{ x }}',
    '${x}',
    '%00%ff',
    '['.repeat(20_000),
    '{"a"='.repeat(5_000),
    '{}',
    '[]',
    'null',
    '{"x"=1}',
    '9'.repeat(400),
    '-1',
    '1e309',
  ];
}

/**
 * Encoded protobuf messages of one type: any subset of its fields, each with arbitrary or hostile values
 * of its wire type (out-of-range and negative numbers, unknown enum values, invalid UTF-8, NaN, very long
 * and deeply nested texts, repeated fields many times, unknown fields), nested messages down to `depth`.
 */
export function messageBytes(contracts: Contracts, typeName: string, pool: FuzzPool, depth = 3): fc.Arbitrary<Uint8Array> {
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(noColon) },
    { weight: 2, arbitrary: fc.constantFrom(...hostileStrings()) },
    { weight: 3, arbitrary: fc.constantFrom(...pool.known) },
  );
  const stringBytes = fc.oneof(
    { weight: 4, arbitrary: text.map((s) => [...Buffer.from(s, 'utf8')]) },
    // Invalid UTF-8 as often as not: a string field on the wire is just bytes.
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 48 }).map((b) => [...b].filter((x) => x !== 0x3a)) },
  );
  const integer = fc.oneof(
    fc.constantFrom(0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), U64),
    fc.bigInt({ min: -(2n ** 63n), max: U64 }),
    fc.bigInt({ min: -5n, max: 100_000n }),
  );
  const memo = new Map<string, fc.Arbitrary<number[]>>();

  const fieldValue = (f: FieldDescriptor, level: number): fc.Arbitrary<number[]> | undefined => {
    const hinted = pool.byField?.[f.name];
    switch (f.type) {
      case 'TYPE_STRING':
        if (hinted) {
          const hint = fc.constantFrom(...hinted).map((s) => [...Buffer.from(s, 'utf8')]);
          return fc.oneof({ weight: 4, arbitrary: hint }, { weight: 1, arbitrary: stringBytes }).map((b) => delimited(f.number, b));
        }
        return stringBytes.map((b) => delimited(f.number, b));
      case 'TYPE_BYTES':
        return fc.uint8Array({ maxLength: 64 }).map((b) => delimited(f.number, [...b].filter((x) => x !== 0x3a)));
      case 'TYPE_BOOL':
        return fc.constantFrom(0n, 1n, 2n, 255n).map((v) => [...tag(f.number, 0), ...varint(v)]);
      case 'TYPE_ENUM':
        return fc.bigInt({ min: -3n, max: 40n }).map((v) => [...tag(f.number, 0), ...varint(v)]);
      case 'TYPE_INT32':
      case 'TYPE_INT64':
      case 'TYPE_UINT32':
      case 'TYPE_UINT64':
        return integer.map((v) => [...tag(f.number, 0), ...varint(v)]);
      case 'TYPE_SINT32':
      case 'TYPE_SINT64':
        return integer.map((v) => [...tag(f.number, 0), ...varint(v >= 0n ? v * 2n : -v * 2n - 1n)]);
      case 'TYPE_FIXED32':
      case 'TYPE_SFIXED32':
        return integer.map((v) => [...tag(f.number, 5), ...fixed(4, (d) => d.setUint32(0, Number(v & 0xffffffffn), true))]);
      case 'TYPE_FIXED64':
      case 'TYPE_SFIXED64':
        return integer.map((v) => [...tag(f.number, 1), ...fixed(8, (d) => d.setBigUint64(0, v & U64, true))]);
      case 'TYPE_FLOAT':
        return fc.float().map((v) => [...tag(f.number, 5), ...fixed(4, (d) => d.setFloat32(0, v, true))]);
      case 'TYPE_DOUBLE':
        return fc.double().map((v) => [...tag(f.number, 1), ...fixed(8, (d) => d.setFloat64(0, v, true))]);
      case 'TYPE_MESSAGE': {
        if (level <= 0) return undefined;
        return message(f.typeName!, level - 1).map((b) => delimited(f.number, b));
      }
      default:
        throw new Error(`proto-fuzz does not know field type ${f.type} (${f.name})`);
    }
  };

  const message = (name: string, level: number): fc.Arbitrary<number[]> => {
    const key = `${name}@${level}`;
    const known = memo.get(key);
    if (known) return known;
    const descriptor = contracts.messages.get(name);
    if (!descriptor) throw new Error(`no message ${name} in the contracts`);
    const parts: fc.Arbitrary<number[]>[] = [];
    for (const f of descriptor.field ?? []) {
      const value = fieldValue(f, level);
      if (!value) continue;
      // Absent half the time; a repeated field (a map included) up to 5 entries, or, of scalars, once in a while 200.
      const many = f.type === 'TYPE_MESSAGE' ? fc.array(value, { maxLength: 5 }) : fc.oneof({ weight: 9, arbitrary: fc.array(value, { maxLength: 5 }) }, { weight: 1, arbitrary: fc.array(value, { minLength: 200, maxLength: 200 }) });
      const present = f.label === 'LABEL_REPEATED' ? many.map((xs) => xs.flat()) : value;
      parts.push(fc.oneof({ weight: 1, arbitrary: fc.constant([] as number[]) }, { weight: pool.byField?.[f.name] ? 6 : 1, arbitrary: present }));
    }
    // An unknown field now and then: a reader must skip it.
    parts.push(fc.oneof({ weight: 4, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: fc.integer({ min: 900, max: 2_000 }).map((n) => [...tag(n, 0), 1]) }));
    const arb = fc.tuple(...parts).map((xs) => xs.flat());
    memo.set(key, arb);
    return arb;
  };

  return message(typeName, depth).map((b) => Uint8Array.from(b));
}
