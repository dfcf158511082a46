export { ConfigError, loadConfig, env, auditStreamEnv, grpcClientEnv, natsEnv, grpcServerEnv, runService } from './load-config.js';
export { z } from 'zod';
