import { describe, expect, it } from 'vitest';
import { compileTextTemplate, renderTextTemplate } from './text-template.js';

describe('renderTextTemplate', () => {
  it('renders dotted look-ups and lists', () => {
    const t = compileTextTemplate('Next on {{ next.date }} with {{names}}.');
    expect(renderTextTemplate(t, { next: { date: 'Monday' }, names: ['Ada', 'Grace'] })).toBe('Next on Monday with Ada, Grace.');
  });

  it('renders inherited names such as constructor as missing, not as a function', () => {
    const t = compileTextTemplate('[{{constructor}}][{{toString}}][{{a.__proto__}}]');
    expect(renderTextTemplate(t, { a: {} })).toBe('[][][]');
  });
});
