export { ConfigError, loadConfig, env, auditStreamEnv, grpcClientEnv, natsEnv, runService } from './load-config.js';
export { z } from 'zod';
