import { REDACTED } from './redact.js';

/**
 * Masks the secrets a request was sent with wherever an upstream may echo them back (its body and
 * headers, e.g. on a 401) before anything leaves the executor: Test output, mapped results, summaries,
 * detail texts and audit events.
 */

/**
 * Values shorter than this are not masked: they would blank ordinary words and numbers in every answer,
 * and a secret that short is no secret.
 */
export const MIN_MASKED_LENGTH = 4;

/** Masks in text and in raw bytes; built once per set of secrets. */
export interface SecretMasker {
  /** The text with every form of every secret replaced by "[REDACTED]". */
  mask(text: string): string;
  /** The same for a body as received: bytes outside the matches are kept exactly (binary bodies too). */
  maskBytes(bytes: Buffer): Buffer;
}

/**
 * The forms a secret takes when it comes back: as sent, URL-encoded (component and form style, either
 * hex case), JSON-escaped (once, twice, or with "\/"), and base64 (standard and URL-safe, with and
 * without padding).
 */
export function echoForms(value: string): string[] {
  const json = jsonEscaped(value);
  // JSON inside JSON (an error text quoting a JSON request) escapes twice; some encoders escape "/" too.
  const forms = new Set<string>([value, encodeURIComponent(value), new URLSearchParams([['', value]]).toString().slice(1), json, jsonEscaped(json), json.replaceAll('/', '\\/')]);
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  forms.add(base64);
  forms.add(base64.replace(/=+$/, ''));
  forms.add(bytes.toString('base64url'));
  // Percent-encoding with lower-case hex is as valid as upper-case.
  for (const form of [...forms]) forms.add(form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  return [...forms].filter((form) => form.length >= MIN_MASKED_LENGTH);
}

function jsonEscaped(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

const SPECIAL = /[.*+?^${}()|[\]\\]/g;

/** One alternation, longest form first so that an encoded form wins over a raw value inside it. */
function alternation(forms: Iterable<string>): RegExp {
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map((form) => form.replace(SPECIAL, '\\$&')).join('|'), 'g');
}

class CompiledMasker implements SecretMasker {
  private bytePattern: RegExp | undefined;

  constructor(
    private readonly forms: readonly string[],
    private readonly textPattern: RegExp = alternation(forms),
  ) {}

  mask(text: string): string {
    if (text.length < MIN_MASKED_LENGTH || text.search(this.textPattern) === -1) return text;
    return text.replace(this.textPattern, REDACTED);
  }

  maskBytes(bytes: Buffer): Buffer {
    // Latin-1 maps each byte to one character and back: the forms are matched as their UTF-8 bytes.
    this.bytePattern ??= alternation(this.forms.map((form) => Buffer.from(form, 'utf8').toString('latin1')));
    const text = bytes.toString('latin1');
    if (text.search(this.bytePattern) === -1) return bytes;
    return Buffer.from(text.replace(this.bytePattern, REDACTED), 'latin1');
  }
}

// The same credentials recur on every call: compile each set once. Bounded, oldest out first.
const MAX_CACHED = 1_000;
const cache = new Map<string, SecretMasker>();

/** A masker for the given secret values (cached), or undefined when none is long enough to mask. */
export function maskerFor(values: readonly string[]): SecretMasker | undefined {
  const secrets = values.filter((value) => value.length >= MIN_MASKED_LENGTH);
  if (secrets.length === 0) return undefined;
  const key = secrets.join('\0');
  let masker = cache.get(key);
  if (masker === undefined) {
    masker = new CompiledMasker(secrets.flatMap(echoForms));
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    cache.set(key, masker);
  }
  return masker;
}

/**
 * The secrets one request went out with, collected as the send stage puts them on it: credential
 * values, OAuth access tokens (the first and a refreshed one), the signing key, and each signature sent.
 * Signatures change with every request, so they are matched as they are (hex) rather than compiled.
 */
export class RequestSecrets {
  private readonly values: string[] = [];
  private readonly signatures: string[] = [];
  private compiled: SecretMasker | undefined;
  private dirty = false;

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_MASKED_LENGTH || this.values.includes(value)) return;
    this.values.push(value);
    this.dirty = true;
  }

  addSignature(mac: string | undefined): void {
    if (mac !== undefined && mac.length >= MIN_MASKED_LENGTH && !this.signatures.includes(mac)) this.signatures.push(mac);
  }

  /** True when the request carried nothing to mask: outputs go out as they are. */
  get empty(): boolean {
    return this.values.length === 0 && this.signatures.length === 0;
  }

  mask(text: string): string {
    let out = this.masker()?.mask(text) ?? text;
    for (const mac of this.signatures) if (out.includes(mac)) out = out.replaceAll(mac, REDACTED);
    return out;
  }

  maskBytes(bytes: Buffer): Buffer {
    let out = this.masker()?.maskBytes(bytes) ?? bytes;
    for (const mac of this.signatures) {
      if (out.includes(mac)) out = Buffer.from(out.toString('latin1').replaceAll(mac, REDACTED), 'latin1');
    }
    return out;
  }

  private masker(): SecretMasker | undefined {
    if (this.dirty) {
      this.compiled = maskerFor(this.values);
      this.dirty = false;
    }
    return this.compiled;
  }
}

/** An error as a log line may show it: its message and stack with the request's secrets masked. */
export function loggableError(error: unknown, secrets: RequestSecrets | undefined): unknown {
  if (secrets === undefined || secrets.empty) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  return { type: e.name, message: secrets.mask(e.message), stack: secrets.mask(e.stack ?? '') };
}
