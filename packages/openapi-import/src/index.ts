export { importOpenApi } from './import-openapi.js';
export type { AuthChoice, ImportOptions, ImportResult, SkippedConstruct } from './types.js';
export { groupSkipped, type SkipGroup } from './skip-groups.js';
