import { SwitchboardError } from '@switchboard/errors';
import type { CredentialStore, IntegrationStore, StartupStep } from '@switchboard/store';

export interface KeyLayoutOptions {
  /** INTEGRATION_KEY_LAYOUT: one layout for both buckets (a sharded executor follows its shard's credentials as its definitions). */
  readonly layout: 'flat' | 'partitioned';
  /** The definitions bucket's name, for the refusal's sentence. */
  readonly bucket: string;
  /** Each step is repeated while JetStream does not answer (NATS_STARTUP_TIMEOUT_MS). */
  readonly startup: StartupStep;
  readonly logger: { info(fields: object, message: string): void };
}

/**
 * Brings both buckets to the registry's key layout before it serves, each step a start-up step.
 *
 * A flat registry on a partitioned bucket would not see the definitions it serves and would write new
 * ones where the sharded pools never look (one replica missing the setting is enough): it refuses.
 * Otherwise the keys an earlier (flat) registry wrote move to the partitioned layout, so the sharded
 * executors, which watch only partitioned keys, see every definition and credential; only then is the
 * layout marked, since a sharded executor waits for the marker before it loads anything.
 */
export async function prepareKeyLayout(integrations: IntegrationStore, credentials: CredentialStore, options: KeyLayoutOptions): Promise<void> {
  const { layout, bucket, startup, logger } = options;
  if (layout === 'flat' && (await startup('read the key layout marker', () => integrations.readLayoutMarker())) === 'partitioned') {
    throw new SwitchboardError(
      'KEY_LAYOUT_MISMATCH',
      `the bucket ${bucket} is in the partitioned key layout, but this registry has INTEGRATION_KEY_LAYOUT=flat: set INTEGRATION_KEY_LAYOUT=partitioned (a bucket does not move back to flat; docs/operations.md)`,
    );
  }
  const moved = await startup('move flat definition keys', () => integrations.migrateToPartitioned());
  if (moved > 0) logger.info({ moved }, 'definitions moved to the partitioned key layout');
  const movedCredentials = await startup('move flat credential keys', () => credentials.migrateToPartitioned());
  if (movedCredentials > 0) logger.info({ moved: movedCredentials }, 'credentials moved to the partitioned key layout');
  await startup('record the key layout', () => integrations.markLayout());
  logger.info({ layout }, 'key layout recorded');
}
