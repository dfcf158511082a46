// Shapes of the console API's answers (see services/console/src/*-api.ts).

export interface LastCall {
  readonly time: string;
  readonly outcome: string;
  readonly latencyMs: number;
  readonly test: boolean;
  readonly breakerState: string;
}

export interface IntegrationRow {
  readonly key: string;
  readonly name: string;
  readonly method: string;
  readonly host: string;
  readonly burden: string;
  readonly enabled: boolean;
  readonly revision: number;
  readonly updatedAt: string | null;
  readonly lastCall: LastCall | null;
  readonly breakerState: string;
}

export interface IntegrationDetail {
  readonly key: string;
  readonly name: string;
  readonly revision: number;
  readonly updatedAt: string | null;
  readonly yaml: string;
  readonly sampleArguments: Record<string, unknown>;
}

export interface HttpHeader {
  readonly name: string;
  readonly value: string;
}

export interface TestView {
  readonly target: { readonly key: string; readonly draft: boolean };
  readonly outcomeName: string;
  readonly reason: string;
  readonly httpStatus: number;
  readonly summary: string;
  readonly agentMessage: string;
  readonly detail: string;
  readonly fieldErrors: readonly { field: string; message: string }[];
  readonly result: unknown;
  readonly resultTruncated: boolean;
  readonly gateRequirement: string;
  readonly callState: readonly { name: string; shown: string; sensitive: boolean }[];
  readonly invocationId: string;
  readonly latency: { totalMs: number; connectMs: number; firstByteMs: number; bodyMs: number };
  readonly request: { method: string; url: string; headers: readonly HttpHeader[]; body: string } | null;
  readonly response: { status: number; headers: readonly HttpHeader[]; body: string; bodyTruncated: boolean; contentType: string } | null;
}

export interface CredentialRow {
  readonly id: string;
  readonly type: string;
  readonly hint: string;
  readonly updatedAt: string | null;
}

export type AuditRecord = Record<string, unknown>;

export interface DeadLetter {
  readonly deliveryId: string;
  readonly toolKey: string;
  readonly callId: string;
  readonly acceptedAt: string | null;
  readonly failedAt: string | null;
  readonly attempts: number;
  readonly requeues: number;
  readonly lastOutcome: string;
  readonly lastReason: string;
  readonly lastHttpStatus: number;
  readonly lastError: string;
}

export interface ImportCandidate {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly method: string;
  readonly urlTemplate: string;
  readonly burden: string;
  readonly yaml: string;
  readonly existingRevision: number | null;
}

export interface ImportPreview {
  readonly integrations: readonly ImportCandidate[];
  readonly skipped: readonly { operation: string; what: string; why: string }[];
  readonly notes: readonly string[];
}

export interface ImportOutcome {
  readonly key: string;
  readonly ok: boolean;
  readonly action?: 'created' | 'updated';
  readonly revision?: number;
  readonly reason?: string;
  readonly message?: string;
  readonly fieldErrors?: readonly { field: string; message: string }[];
}
