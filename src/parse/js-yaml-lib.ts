/**
 * js-yaml, loaded on first use (synchronously, its CommonJS build): a workflow the fast reader takes whole
 * needs it only for a scalar the fast paths do not settle (a float, a hex integer), and loading it costs
 * ~2 MiB and a few ms at every start.
 */
import { createRequire } from 'node:module';

let lib: typeof import('js-yaml') | undefined;

export function jsYamlLib(): typeof import('js-yaml') {
  lib ??= createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
  return lib;
}
