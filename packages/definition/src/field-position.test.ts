import { describe, expect, it } from 'vitest';
import { positionOfField } from './field-position.js';

const TEXT = `key: first
url_template: https://a.example/x
---
key: second
parameters:
  - name: a
    in: query
  - name: b
    wireName: B
`;

describe('positionOfField', () => {
  it('finds a field of the n-th integration by its registry path, aliases and camelCase included', () => {
    expect(positionOfField(TEXT, 0, 'url_template')).toEqual({ line: 2, col: 15 });
    expect(positionOfField(TEXT, 1, 'parameters[0].location')).toEqual({ line: 7, col: 9 });
    expect(positionOfField(TEXT, 1, 'parameters[1].wire_name')).toEqual({ line: 9, col: 15 });
  });

  it('falls back to the nearest written parent, and to nothing past the last integration', () => {
    expect(positionOfField(TEXT, 1, 'parameters[1].description')).toEqual({ line: 8, col: 5 });
    expect(positionOfField(TEXT, 2, 'key')).toBeUndefined();
  });

  it('reads integrations listed under `integrations:`', () => {
    expect(positionOfField('integrations:\n  - key: a\n  - key: b\n', 1, 'key')).toEqual({ line: 3, col: 10 });
  });
});
