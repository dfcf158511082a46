import RE2 from 're2';

/**
 * Regular expressions that come from a definition (a parameter's `pattern`, an imported OpenAPI
 * pattern) run on the executor's event loop against text a caller chose. JavaScript's backtracking
 * engine takes exponential time on patterns such as `^(a+)+$`, so one call could stall every org:
 * these patterns run on RE2 instead, whose matching time is linear in the input. RE2 has no
 * look-around and no back-references, so a pattern using them is refused when the definition is
 * saved. Patterns are also written for the model, which reads them as ECMA-262 (JSON Schema's
 * dialect): a pattern must compile there too, so both sides mean the same thing.
 */

/** What RE2 leaves out of ECMA-262: the reason a valid JavaScript pattern is refused. */
const UNSUPPORTED = 'uses look-around ((?=, (?!, (?<=, (?<!) or a back-reference (\\1, \\k<name>), which the linear-time pattern engine does not support';

const LOOK_AROUND_OR_BACK_REFERENCE = /\(\?<?[=!]|\\[1-9]|\\k</;

/** A compiled definition pattern: only `test` is offered, the one operation a pattern is used for. */
export interface SafePattern {
  test(text: string): boolean;
}

/**
 * Compiles a definition's pattern with JSON Schema's flags ('u'), linear-time. Throws a SyntaxError
 * when RE2 cannot compile it; `patternProblem` says why in words.
 */
export function compileSafePattern(source: string): SafePattern {
  return new RE2(source, 'u');
}

/**
 * The same compiler in the shape ajv takes (`code.regExp`), so the `pattern` keyword of a JSON
 * Schema runs on RE2 as well. `code` names it for ajv's standalone output, which is not used.
 */
export const safeRegExpEngine = Object.assign((source: string, flags: string): SafePattern => new RE2(source, flags), {
  code: 'RE2',
});

/** Why a pattern cannot be used in a definition, or undefined when it can. */
export function patternProblem(source: string): string | undefined {
  try {
    // The 'u' flag is what JSON Schema validators (ajv) use, so the pattern means the same everywhere.
    new RegExp(source, 'u');
  } catch (err) {
    return `is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
  try {
    compileSafePattern(source);
  } catch (err) {
    if (LOOK_AROUND_OR_BACK_REFERENCE.test(source)) return UNSUPPORTED;
    return `is not supported by the linear-time pattern engine: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}
