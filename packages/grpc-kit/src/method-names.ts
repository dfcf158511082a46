import type { ServiceDefinition } from '@grpc/grpc-js';

/** The proto method names a server answers (`Invoke`, `ListTools`), from its generated definitions' paths. */
export function methodNamesOf(...definitions: readonly ServiceDefinition[]): string[] {
  return definitions.flatMap((d) => Object.values(d).map((m) => m.path.split('/').pop() ?? ''));
}
