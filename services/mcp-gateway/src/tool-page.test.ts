import { describe, expect, it } from 'vitest';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { pageOfTools } from './tool-page.js';

const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object' } });
const tools = ['a_one', 'b_two', 'c_three', 'd_four', 'e_five'].map(tool);

describe('tools/list pages', () => {
  it('walks the list in pages with an opaque cursor and ends without one', () => {
    const first = pageOfTools(tools, undefined, 2);
    expect(first.tools.map((t) => t.name)).toEqual(['a_one', 'b_two']);
    const second = pageOfTools(tools, first.nextCursor, 2);
    expect(second.tools.map((t) => t.name)).toEqual(['c_three', 'd_four']);
    const last = pageOfTools(tools, second.nextCursor, 2);
    expect(last).toEqual({ tools: [tool('e_five')] });
    expect(pageOfTools(tools, undefined, 5)).toEqual({ tools });
  });

  it('neither repeats nor skips a tool when one is removed between pages', () => {
    const first = pageOfTools(tools, undefined, 2);
    const shrunk = tools.filter((t) => t.name !== 'a_one');
    expect(pageOfTools(shrunk, first.nextCursor, 2).tools.map((t) => t.name)).toEqual(['c_three', 'd_four']);
  });

  it('refuses a cursor it did not write as invalid params', () => {
    expect(() => pageOfTools(tools, 'not base64!', 2)).toThrow(expect.objectContaining({ code: -32602, message: 'Invalid cursor' }) as Error);
    expect(() => pageOfTools(tools, '', 2)).toThrow(/Invalid cursor/);
  });
});
