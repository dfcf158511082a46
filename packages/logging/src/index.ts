export { createLogger, REDACTED_PATHS } from './logger.js';
export type { CreateLoggerOptions, Logger } from './logger.js';
