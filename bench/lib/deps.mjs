// Third-party modules the benchmark needs, resolved through the e2e workspace package (test/package.json),
// which already depends on every one of them. The benchmark is plain ESM run from the repository root,
// where pnpm links no runtime dependencies, so a bare `import 'undici'` would not resolve from bench/.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const requireFromE2e = createRequire(new URL('../../test/package.json', import.meta.url));

/** Imports a package the way test/ sees it (CommonJS and ESM packages alike). */
export async function load(name) {
  const mod = await import(pathToFileURL(requireFromE2e.resolve(name)).href);
  // A CommonJS module arrives with its exports on `default` as well as (mostly) as named exports.
  return mod.default && typeof mod.default === 'object' ? { ...mod.default, ...mod } : mod;
}

/** Workspace packages are imported from their built dist, exactly as the services run them. */
export function workspace(pkg) {
  return import(new URL(`../../packages/${pkg}/dist/index.js`, import.meta.url).href);
}
