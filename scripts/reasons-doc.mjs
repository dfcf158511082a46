// Writes docs/reasons.md from the reason catalogue (packages/errors/src/reasons.ts). Run after a build:
//   node scripts/reasons-doc.mjs
import { writeFileSync } from 'node:fs';
import { renderReasonTable } from '../packages/errors/dist/index.js';

const target = new URL('../docs/reasons.md', import.meta.url);
writeFileSync(target, renderReasonTable());
process.stdout.write(`wrote ${target.pathname}\n`);
