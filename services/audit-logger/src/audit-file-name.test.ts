import { describe, expect, it } from 'vitest';
import { compareAuditFiles, formatAuditFileName, parseAuditFileName, utcDay, utcDayBefore } from './audit-file-name.js';

describe('audit file names', () => {
  it('round-trips names whose instance id contains dashes', () => {
    const name = { date: '2026-03-04', instanceId: 'audit-logger-7f9c-1', seq: 12 };
    const file = formatAuditFileName(name);
    expect(file).toBe('audit-2026-03-04-audit-logger-7f9c-1-0012.jsonl');
    expect(parseAuditFileName(file)).toEqual(name);
    expect(parseAuditFileName('audit-2026-03-04.jsonl')).toBeNull();
    expect(parseAuditFileName('notes.txt')).toBeNull();
  });

  it('orders sequence numbers numerically past 9999', () => {
    const a = { date: '2026-03-04', instanceId: 'i', seq: 9999 };
    const b = { date: '2026-03-04', instanceId: 'i', seq: 10000 };
    expect(compareAuditFiles(a, b)).toBeLessThan(0);
  });

  it('uses UTC days', () => {
    expect(utcDay(new Date('2026-03-04T23:30:00-05:00'))).toBe('2026-03-05');
    expect(utcDayBefore(new Date('2026-03-01T00:00:00Z'), 1)).toBe('2026-02-28');
  });
});
