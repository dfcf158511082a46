#!/usr/bin/env node
// Only the call-state case of `pnpm bench` (bench/lib/call-state.mjs), against REDIS_URL: quick, and
// light enough to run beside other work. Needs a build (`pnpm run build`).
import { benchCallState, callStateLine } from './lib/call-state.mjs';
import { REDIS_URL } from './lib/processes.mjs';

const samples = Number(process.argv[2] ?? 2_000);
const result = await benchCallState({ redisUrl: REDIS_URL, samples });
process.stdout.write(`${JSON.stringify(result)}\n${callStateLine(result)}\n`);
