/**
 * The `yaml` package, loaded on first use (~20 ms at start): a start reads YAML only when there is a
 * dockhand.yaml or a quiz pack the build did not parse already. Node's `node` export of yaml is its
 * CommonJS build, the same module an `import` would load, so a synchronous require fits the sync callers.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);

/** The yaml module (parse, parseDocument, isMap, ...), loaded the first time it is asked for. */
export function yaml(): typeof Yaml {
  return require('yaml') as typeof Yaml;
}
