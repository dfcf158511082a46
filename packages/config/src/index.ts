export { ConfigError, loadConfig, env, runService } from './load-config.js';
export { z } from 'zod';
