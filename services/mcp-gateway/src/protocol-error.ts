import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/**
 * A JSON-RPC error answer. The SDK sends a thrown error's `code`, `message` and `data` as they are;
 * its own McpError prefixes the message with "MCP error <code>: ", and the client's McpError prefixes
 * it again, so the model would read the prefix twice. This one keeps the message as written.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const invalidParams = (message: string, data?: unknown) => new ProtocolError(ErrorCode.InvalidParams, message, data);
export const internalError = (message: string) => new ProtocolError(ErrorCode.InternalError, message);
