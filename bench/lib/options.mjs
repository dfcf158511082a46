// Command-line options shared by bench/run.mjs and bench/scale.mjs.
//   --smoke (or BENCH_SMOKE=1)   a reduced run (a few hundred requests) that only proves the benchmark works
//   --out DIR                    write latest.json / scale.json, performance.md and the SVG there
//                                (default: bench/results for JSON and profiles, docs/ for the report)
//   --samples N                  measured requests per concurrency on the main path (others scale from it)
//   --concurrency 1,16,64,256
//   --no-profile                 skip the --cpu-prof pass
//   --profile-concurrency N      concurrency of the --cpu-prof pass (default 64)
//   --profile-samples N          requests of the --cpu-prof pass (default 15000; 300 with --smoke)
//   --profile-path NAME          what the --cpu-prof pass sends: invoke (default), oauth, write, strict, limited
//   --time-limit S               hard stop: everything this run started is killed and it exits 2
//   --huge N, --huge-orgs M      bench:scale's one-executor case: N integrations across M orgs
//   --cold N                     bench:scale's biggest cold start: N definitions in the bucket
import path from 'node:path';
import { ROOT } from './processes.mjs';

export function parseOptions(argv, env, defaults) {
  const flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (inline !== undefined) flags.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) flags.set(name, argv[++i]);
    else flags.set(name, 'true');
  }
  const smoke = flags.has('smoke') || env.BENCH_SMOKE === '1';
  const base = smoke ? defaults.smoke : defaults.full;
  const out = flags.get('out');
  const number = (name, fallback) => {
    if (!flags.has(name)) return fallback;
    const v = Number(flags.get(name));
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  return {
    smoke,
    resultsDir: out ? path.resolve(out) : path.join(ROOT, 'bench', 'results'),
    docsDir: out ? path.resolve(out) : path.join(ROOT, 'docs'),
    samples: number('samples', base.samples),
    concurrency: flags.has('concurrency') ? flags.get('concurrency').split(',').map(Number) : base.concurrency,
    profile: !flags.has('no-profile') && base.profile,
    profileConcurrency: number('profile-concurrency', 64),
    profilePath: flags.get('profile-path') ?? 'invoke',
    profileSamples: flags.has('profile-samples') ? number('profile-samples', 0) : undefined,
    timeLimitS: number('time-limit', base.timeLimitS),
    huge: number('huge', base.huge),
    hugeOrgs: number('huge-orgs', base.hugeOrgs),
    cold: number('cold', base.cold),
  };
}
