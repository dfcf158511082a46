import type { SkippedConstruct } from './types.js';

/** Collects what an import left out and what the integrator should review, in document order. */
export class ImportReport {
  readonly skipped: SkippedConstruct[] = [];
  readonly notes: string[] = [];
  readonly #seenNotes = new Set<string>();

  skip(operation: string, what: string, why: string): void {
    this.skipped.push({ operation, what, why });
  }

  /** Adds a note once: the same credential or server remark is not repeated for every operation. */
  note(text: string): void {
    if (this.#seenNotes.has(text)) return;
    this.#seenNotes.add(text);
    this.notes.push(text);
  }
}

/**
 * Why an operation cannot become a valid integration. Thrown inside the translation of one
 * operation and caught around it: the operation is reported in `skipped` and the import goes on.
 */
export class CannotTranslate extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'CannotTranslate';
  }
}
