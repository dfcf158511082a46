import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. Services log request metadata, never
 * credential values, but a mistake must still not reach the log: this is the central net.
 */
export const REDACTED_PATHS: readonly string[] = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'clientSecret',
  '*.clientSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'masterKey',
  '*.masterKey',
];

export interface CreateLoggerOptions {
  readonly level?: string;
  /** A destination for tests; defaults to an asynchronous stdout writer. */
  readonly destination?: pino.DestinationStream;
}

/** One logger per service. Output is JSON lines; writes are asynchronous so no hot path waits on I/O. */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    name: service,
    level: options.level ?? 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[REDACTED]' },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const destination = options.destination ?? pino.destination({ dest: 1, sync: false});
  return pino(config, destination);
}

export type { Logger } from 'pino';
