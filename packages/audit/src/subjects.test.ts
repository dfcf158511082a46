import { describe, expect, it } from 'vitest';
import {
  assertSubjectPrefix,
  auditDlqStreamName,
  auditDlqSubject,
  auditFilterSubject,
  auditStreamSubjects,
  auditSubject,
  credentialEventSubject,
  subjectToken,
} from './subjects.js';

describe('audit subjects', () => {
  it('puts org and tool in their own tokens under the default prefix', () => {
    expect(auditSubject('org-1', 'look_up_appointment')).toBe('switchboard.audit.org-1.look_up_appointment');
    expect(auditSubject('o', 't', 'tabc.audit')).toBe('tabc.audit.o.t');
    expect(auditStreamSubjects('tabc.audit')).toEqual(['tabc.audit.>']);
  });

  it('keeps wildcards and dots in values from widening a filter, and never maps two values to one token', () => {
    const values = ['a.b', 'a_b', 'a*', 'a>', 'a b', 'a%2Eb', '', '%', 'é', 'a-b'];
    const tokens = values.map(subjectToken);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_%-]+$/);
    expect(new Set(tokens).size).toBe(values.length);
    expect(auditSubject('evil.>', 'x')).toBe('switchboard.audit.evil%2E%3E.x');
  });

  it('builds filters for one org, one tool, both, or everything', () => {
    expect(auditFilterSubject()).toBe('switchboard.audit.>');
    expect(auditFilterSubject({ orgId: 'o1' })).toBe('switchboard.audit.o1.*');
    expect(auditFilterSubject({ toolKey: 'tool' })).toBe('switchboard.audit.*.tool');
    expect(auditFilterSubject({ orgId: 'o1', toolKey: 'tool', prefix: 'p.audit' })).toBe('p.audit.o1.tool');
  });

  it('keeps dead letters outside the audit stream subjects', () => {
    const dlq = auditDlqSubject('undecodable');
    expect(dlq).toBe('switchboard.audit-dlq.undecodable');
    expect(dlq.startsWith('switchboard.audit.')).toBe(false);
    expect(auditDlqStreamName('T_AUDIT')).toBe('T_AUDIT_DLQ');
    expect(credentialEventSubject('org-9')).toBe('switchboard.events.credential.org-9');
  });

  it('rejects a prefix with wildcards or empty tokens', () => {
    expect(assertSubjectPrefix('t1.audit')).toBe('t1.audit');
    expect(() => assertSubjectPrefix('a.*')).toThrow(/audit subject prefix/);
    expect(() => assertSubjectPrefix('a..b')).toThrow(/audit subject prefix/);
    expect(() => assertSubjectPrefix('')).toThrow(/audit subject prefix/);
  });
});
