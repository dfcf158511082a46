export { importOpenApi } from './import-openapi.js';
export type { ImportOptions, ImportResult, SkippedConstruct } from './types.js';
