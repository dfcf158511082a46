/**
 * The slice of a logger this package calls. A pino Logger (what @switchboard/logging creates) fits it;
 * keeping it structural spares the package a logging dependency.
 */
export interface AuditLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: AuditLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
