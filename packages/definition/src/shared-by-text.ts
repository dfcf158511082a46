/**
 * Compiled artefacts (parsed templates, compiled expressions and checks) shared by the text they were
 * compiled from. Integrations of different orgs mostly repeat the same texts (a catalogue's mappings,
 * parameters and phrases), and an executor whose working set let a definition go compiles it again on
 * its next call: with this, that call looks the texts up instead of compiling them, and the compiled
 * form is held once, not once per definition. Bounded, least recently used out. What it holds must be
 * immutable, since every definition with that text gets the same object; a compile that throws is not
 * kept (the next call throws again).
 */
export class SharedByText<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max: number) {}

  get(text: string, compile: (text: string) => V): V {
    const held = this.entries.get(text);
    if (held !== undefined) {
      // Most recently used last: a Map iterates in insertion order, so the oldest is let go first.
      this.entries.delete(text);
      this.entries.set(text, held);
      return held;
    }
    const compiled = compile(text);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(text, compiled);
    return compiled;
  }

  get size(): number {
    return this.entries.size;
  }
}
