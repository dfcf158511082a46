export { ConfigError, loadConfig, env, grpcClientEnv, runService } from './load-config.js';
export { z } from 'zod';
