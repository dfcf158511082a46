/**
 * Bounds on an integration definition. They keep one definition from crowding the model's context,
 * the registry's key-value store or a call's latency budget; the executor relies on them too, so a
 * stored definition never asks it for more than these.
 */

/** Encoded (protobuf) size of one definition: well under the JetStream KV value limit, generous for 64 parameters. */
export const MAX_DEFINITION_BYTES = 64 * 1024;

export const MAX_NAME_LENGTH = 100;
/** The model reads the description on every turn; OpenAI caps a function description at 1024 characters. */
export const MAX_DESCRIPTION_LENGTH = 1024;
export const MAX_PARAMETER_DESCRIPTION_LENGTH = 512;
export const MAX_PARAMETERS = 64;
export const MAX_FIXED_VALUES = 32;
export const MAX_CONTEXT_VALUES = 16;
export const MAX_ENUM_VALUES = 100;
/** Header names, query names and dotted body paths. */
export const MAX_WIRE_NAME_LENGTH = 128;
/** A regular expression checked against every argument on the hot path: short keeps it cheap to reason about. */
export const MAX_PATTERN_LENGTH = 512;
export const MAX_EXPRESSION_LENGTH = 1024;
export const MAX_MAPPED_FIELDS = 32;
/** Summary, confirmation prompt and the spoken phrases: a sentence or two, read aloud. */
export const MAX_TEMPLATE_LENGTH = 500;
export const MAX_SCOPES = 32;
export const MAX_VERIFICATION_METHODS = 16;

/** Whole-call budget when the definition sets none: a caller notices silence after a few seconds. */
export const DEFAULT_TIMEOUT_MS = 5000;
/** No live call waits longer than this for one tool, retries included. */
export const MAX_TIMEOUT_MS = 30_000;
/** TCP + TLS set-up; clamped to the whole-call budget. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

/** What the mapped result may occupy in the model's context by default. */
export const DEFAULT_MAX_RESULT_BYTES = 4096;
export const MAX_RESULT_BYTES_CAP = 65_536;

/** Attempts in total, including the first. */
export const MAX_RETRY_ATTEMPTS = 3;
export const DEFAULT_RETRY_BASE_DELAY_MS = 200;
export const MAX_RETRY_BASE_DELAY_MS = 5000;

export const MAX_REDIRECTS_CAP = 5;

/** When the "still checking" phrase is played if the call has not returned. */
export const DEFAULT_DELAY_AFTER_MS = 1500;

export const DEFAULT_BREAKER_ERROR_THRESHOLD_PERCENT = 50;
/** Calls in the window before the breaker may open: a single failure on a quiet line must not trip it. */
export const DEFAULT_BREAKER_VOLUME_THRESHOLD = 5;
export const DEFAULT_BREAKER_RESET_TIMEOUT_MS = 10_000;
export const DEFAULT_BREAKER_ROLLING_WINDOW_MS = 10_000;
export const MAX_BREAKER_WINDOW_MS = 10 * 60_000;

/** Async delivery: attempts in total, including the first, when the definition sets none. */
export const DEFAULT_DELIVERY_MAX_ATTEMPTS = 12;
export const MAX_DELIVERY_ATTEMPTS = 100;
/** Async delivery: a notification older than this is dead-lettered rather than sent late. */
export const DEFAULT_DELIVERY_MAX_AGE_MS = 24 * 3600 * 1000;
export const MAX_DELIVERY_AGE_MS = 7 * 24 * 3600 * 1000;
/** Below this the first retry could not even start: the floor for a definition's max_age_ms. */
export const MIN_DELIVERY_AGE_MS = 1000;
/** The header an async delivery carries its delivery id in when retry.idempotency_key_header is not set. */
export const DEFAULT_IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** How deep items and properties nest under one parameter (`a.items.properties.b` is 2). */
export const MAX_PARAMETER_NESTING = 5;
/** Items and properties under one parameter, all levels together. */
export const MAX_NESTED_PARAMETERS = 256;
/** A property name is a JSON key the model writes. */
export const MAX_PROPERTY_NAME_LENGTH = 64;

/** Limits on the upstream (definition `limits`): the most a definition may ask for. */
export const MAX_LIMIT_CONCURRENT = 10_000;
export const MAX_LIMIT_RATE_PER_SECOND = 100_000;
export const MAX_LIMIT_BURST = 10_000;
/** How long a call may wait for its turn when the definition sets no max_queue_ms. */
export const DEFAULT_LIMIT_MAX_QUEUE_MS = 1000;

/** Response cache (definition `cache`): the longest a mapped result is kept. */
export const MAX_CACHE_TTL_SECONDS = 86_400;
