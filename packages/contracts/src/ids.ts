/**
 * The shapes of the ids that cross Switchboard's APIs, in one place: every validator (registry, executor,
 * stores, org tokens, CLI, MCP gateway) tests against these, so a name one part accepts is never refused
 * by another. Each `_RULE` is the field message for a value that does not match.
 */

/** Org ids: UUIDs or slugs, restricted so that they are safe as NATS subject tokens and KV keys. */
export const ORG_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const ORG_ID_RULE = 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit';

/** Integration keys double as tool names for the models (OpenAI allows ^[a-zA-Z0-9_-]{1,64}$). */
export const INTEGRATION_KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const INTEGRATION_KEY_RULE = 'must start with a lower-case letter and hold only a-z, 0-9 and _ (at most 64)';

/** Credential ids: part of a KV key `<org>.<credential>`. */
export const CREDENTIAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const CREDENTIAL_ID_RULE = 'must be 1-64 letters, digits, "_" or "-", starting with a letter or digit';

/** A UUID in its 36-character text form (RFC 4122 section 3), in either case; no `urn:uuid:` prefix. */
export const UUID_PATTERN = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/** Invocation and delivery ids: the executor makes them with randomUUID(), which writes lower case. */
export const GENERATED_ID_PATTERN = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/;

/**
 * Call ids come from the telephony side (a Twilio CallSid is 34 characters, a SIP Call-ID rarely more
 * than 100) and travel in the X-Allison-Call-ID header, the audit event and confirmation tokens.
 * Visible ASCII up to this length covers them; empty while a call is not bound.
 */
export const MAX_CALL_ID_LENGTH = 256;
export const CALL_ID_PATTERN = new RegExp(`^[\\x21-\\x7e]{0,${MAX_CALL_ID_LENGTH}}$`);
export const CALL_ID_RULE = `must be at most ${MAX_CALL_ID_LENGTH} visible ASCII characters (no spaces)`;

/** An org token's public id: the first 16 hex digits of its hash. */
export const ORG_TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;
