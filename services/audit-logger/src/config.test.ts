import { describe, expect, it } from 'vitest';
import { defaultInstanceId, loadAuditLoggerConfig } from './config.js';

describe('audit-logger config', () => {
  it('has working defaults for local development', () => {
    const config = loadAuditLoggerConfig({});
    expect(config).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      AUDIT_DIR: '.data/audit',
      AUDIT_CONSUMER: 'audit-logger',
      AUDIT_STREAM: 'SWITCHBOARD_AUDIT',
      AUDIT_SUBJECT_PREFIX: 'switchboard.audit',
      AUDIT_REPLICAS: 1,
      AUDIT_STORAGE: 'file',
      AUDIT_DUPLICATE_WINDOW_MS: 120_000,
    });
    expect(config.AUDIT_INSTANCE_ID).toBe(defaultInstanceId());
  });

  it('derives a file-name-safe instance id from host and pid', () => {
    expect(defaultInstanceId('pod/7:a', 42)).toBe('pod_7_a-42');
  });

  it('names every bad variable in one sentence without echoing values', () => {
    expect(() =>
      loadAuditLoggerConfig({ AUDIT_SUBJECT_PREFIX: 'bad.*', AUDIT_ROTATE_MAX_BYTES: '-1', AUDIT_INSTANCE_ID: 'a/b' }),
    ).toThrow(/audit-logger cannot start: .*AUDIT_SUBJECT_PREFIX is invalid.*AUDIT_INSTANCE_ID is invalid.*AUDIT_ROTATE_MAX_BYTES is invalid/);
  });
});
