export * from './names.js';
export { connectNats } from './connect-nats.js';
export type { ConnectNatsOptions } from './connect-nats.js';
export { IntegrationStore, recordFromEntry } from './integration-store.js';
export type { OpenStoreOptions } from './integration-store.js';
export { CredentialStore, credentialAad, credentialFromEntry } from './credential-store.js';
export type { StoredCredential, VersionedCredential } from './credential-store.js';
export { mirrorKv } from './kv-mirror.js';
export type { KvMirrorHandlers } from './kv-mirror.js';
