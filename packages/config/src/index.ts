export { ConfigError, loadConfig, env, auditStreamEnv, grpcClientEnv, runService } from './load-config.js';
export { z } from 'zod';
