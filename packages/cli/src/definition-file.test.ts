import { describe, expect, it } from 'vitest';
import { positionOf, type DefinitionFile } from './definition-file.js';

function file(text: string): DefinitionFile {
  return { file: 'f.yaml', text, integrations: [] };
}

const ONE = `key: a
name: A
parameters:
  - name: first
    in: query
  - name: second
    enum: [x, y]
auth:
  credentialId: c
`;

describe('positionOf', () => {
  it('finds nested fields, list items, short names and camelCase spellings', () => {
    const f = file(ONE);
    expect(positionOf(f, 0, 'name')).toBe(' (at f.yaml:2:7)');
    expect(positionOf(f, 0, 'parameters[1].name')).toBe(' (at f.yaml:6:11)');
    expect(positionOf(f, 0, 'parameters[0].location')).toBe(' (at f.yaml:5:9)');
    expect(positionOf(f, 0, 'parameters[1].enum_values')).toBe(' (at f.yaml:7:11)');
    expect(positionOf(f, 0, 'auth.credential_id')).toBe(' (at f.yaml:9:17)');
  });

  it('falls back to the nearest enclosing node when the field is not written', () => {
    const f = file(ONE);
    expect(positionOf(f, 0, 'parameters[1].location')).toBe(' (at f.yaml:6:5)');
    expect(positionOf(f, 0, 'burden.level')).toBe(' (at f.yaml:1:1)');
    expect(positionOf(f, 0, '(definition)')).toBe(' (at f.yaml:1:1)');
  });

  it('counts integrations across documents, lists and integrations: blocks', () => {
    const f = file(`key: a\n---\n- key: b\n- key: c\n---\nintegrations:\n  - key: d\n    name: D\n`);
    expect(positionOf(f, 0, 'key')).toBe(' (at f.yaml:1:6)');
    expect(positionOf(f, 2, 'key')).toBe(' (at f.yaml:4:8)');
    expect(positionOf(f, 3, 'name')).toBe(' (at f.yaml:8:11)');
    expect(positionOf(f, 4, 'name')).toBe('');
  });
});
