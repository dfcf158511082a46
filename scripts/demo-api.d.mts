import type { Server } from 'node:http';

/** The header the demo API reads its key from. */
export declare const DEMO_API_KEY_HEADER: string;
/** The demo API's OpenAPI 3 document (served at /openapi.yaml). */
export declare const DEMO_OPENAPI_YAML: string;
/** Starts the small practice-management demo API on loopback; resolves once it listens. */
export declare function startDemoApi(options: { port?: number; host?: string; apiKey: string }): Promise<Server>;
