export * from './url-template.js';
export * from './text-template.js';
export { SharedByText } from './shared-by-text.js';
export * from './limits.js';
export * from './call-state.js';
export { validateIntegration } from './validate-integration.js';
export { PARAMETER_NAME_PATTERN } from './validate-parameters.js';
export { DEFAULT_API_KEY_NAME } from './validate-placement.js';
export * from './defaults.js';
export * from './tool-schema.js';
export { anthropicToolProblems, mcpToolProblems, openAiToolProblems } from './tool-format-rules.js';
export { parseIntegrationDocuments, integrationToDocument, type ParsedIntegrations } from './document.js';
export { hasParameterType } from './parameter-value.js';
export { checkArguments, checkParameterValue, type ArgumentCheck } from './argument-check.js';
export { parseArgumentsJson, nestsDeeperThan, MAX_ARGUMENTS_BYTES, MAX_ARGUMENTS_DEPTH, TOO_DEEP_MESSAGE } from './arguments-json.js';
export { patternProblem } from './safe-pattern.js';
export { PHONE_E164_PATTERN } from './string-format.js';
export { headerValueProblem } from './header-value.js';
export { headerNameProblem, isClientOwnedHeader, isHeaderToken } from './header-name.js';
export {
  API_KEY_PLACEMENT_NAMES,
  AUTH_TYPE_NAMES,
  BURDEN_LEVEL_NAMES,
  CACHE_SCOPE_NAMES,
  HTTP_METHOD_NAMES,
  PARAMETER_LOCATION_NAMES,
  PARAMETER_TYPE_NAMES,
  STRING_FORMAT_NAMES,
} from './enum-names.js';
export { positionOfField } from './field-position.js';
