#!/usr/bin/env node
// Builds dist/bundle/: @switchboard/runtime-client as published, with the workspace code it needs inside it.
//
// The workspace packages it imports (contracts, client, errors, grpc-kit) are private, so the published
// package cannot depend on them. dist/bundle/index.js is dist/index.js with them inlined (rolldown,
// tree-shaken: only what the runtime client reaches), leaving @grpc/grpc-js and @bufbuild/protobuf
// (its only dependencies) and node: built-ins as imports. Its *.d.ts are the client's declarations
// with the declarations they name copied under vendor/ and the imports rewritten to them. No
// source maps: the sources are not shipped. Run after `tsc -b` (pnpm run build); `pnpm pack` runs it.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const packages = path.resolve(root, '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'bundle');

/** What the published package may import: its dependencies and Node's built-ins. */
const EXTERNAL = [/^@grpc\/grpc-js(\/|$)/, /^@bufbuild\/protobuf(\/|$)/, /^node:/];

/**
 * The declaration file each workspace import stands for. grpc-kit's index also declares its server
 * side (and imports the logger, pino); the client's declarations name only its client transport.
 */
const DECLARATIONS = {
  '@switchboard/contracts': 'contracts/dist/index.d.ts',
  '@switchboard/errors': 'errors/dist/index.d.ts',
  '@switchboard/grpc-kit': 'grpc-kit/dist/client.d.ts',
  '@switchboard/client': 'client/dist/index.d.ts',
  '@switchboard/sharding': 'sharding/dist/index.d.ts',
};

async function bundleJs() {
  const build = await rolldown({
    input: path.join(dist, 'index.js'),
    platform: 'node',
    external: EXTERNAL,
    // The workspace modules run nothing on import that the client needs: unreached ones can go.
    treeshake: { moduleSideEffects: (id) => !id.includes(`${path.sep}packages${path.sep}`) || id.startsWith(dist) },
    logLevel: 'warn',
  });
  await build.write({ file: path.join(out, 'index.js'), format: 'esm', sourcemap: false });
  await build.close();
}

const IMPORT = /(from\s+|import\(\s*)(['"])([^'"]+)\2/g;

/** Copies a declaration file and every one it imports, rewriting workspace imports to vendor/ copies. */
async function copyDeclarations() {
  const done = new Set();
  const queue = [{ from: path.join(dist, 'index.d.ts'), to: path.join(out, 'index.d.ts') }];
  for (const name of await readdir(dist)) {
    if (name.endsWith('.d.ts')) queue.push({ from: path.join(dist, name), to: path.join(out, name) });
  }
  while (queue.length > 0) {
    const { from, to } = queue.shift();
    if (done.has(to)) continue;
    done.add(to);
    let text = (await readFile(from, 'utf8')).replace(/^\/\/# sourceMappingURL=.*$/m, '');
    text = text.replace(IMPORT, (whole, lead, quote, spec) => {
      if (spec.startsWith('.')) {
        const target = spec.replace(/\.js$/, '.d.ts');
        queue.push({ from: path.resolve(path.dirname(from), target), to: path.resolve(path.dirname(to), target) });
        return whole;
      }
      const vendored = DECLARATIONS[spec];
      if (vendored === undefined) {
        if (spec.startsWith('@switchboard/')) throw new Error(`${from} imports ${spec}, which bundle.mjs does not vendor`);
        return whole;
      }
      const source = path.join(packages, vendored);
      const target = path.join(out, 'vendor', vendored.replace('/dist/', '/'));
      queue.push({ from: source, to: target });
      let relative = path.relative(path.dirname(to), target).replace(/\.d\.ts$/, '.js').split(path.sep).join('/');
      if (!relative.startsWith('.')) relative = `./${relative}`;
      return `${lead}${quote}${relative}${quote}`;
    });
    await mkdir(path.dirname(to), { recursive: true });
    await writeFile(to, text);
  }
  return done;
}

/** The bundle must name nothing a consumer cannot install. */
async function check(files) {
  const js = await readFile(path.join(out, 'index.js'), 'utf8');
  const texts = [['index.js', js], ...(await Promise.all([...files].map(async (f) => [path.relative(out, f), await readFile(f, 'utf8')])))];
  for (const [name, text] of texts) {
    for (const [, , , spec] of text.matchAll(IMPORT)) {
      if (spec.startsWith('.') || EXTERNAL.some((e) => e.test(spec))) continue;
      throw new Error(`dist/bundle/${name} imports ${spec}, which the published package does not provide`);
    }
  }
}

await rm(out, { recursive: true, force: true });
await bundleJs();
const declarations = await copyDeclarations();
await check(declarations);
process.stdout.write(`dist/bundle/: index.js and ${declarations.size} declaration files\n`);
