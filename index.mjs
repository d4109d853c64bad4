// The package entry for plain Node (package.json "exports"): loads src/index.ts through tsx, this package's own
// dependency, so that `import { loadRun } from 'uvhe'` works without the caller registering a TypeScript loader.
// The names below are those of src/index.ts (its types come from "types"); test/api/package.test.ts keeps them equal.
import { tsImport } from 'tsx/esm/api';

const api = await tsImport('./src/index.ts', import.meta.url);
export const {
  train, loadRun, readInputImages, knnAssign, looAgreement, readClusterState, resolveConfig, ASSIGN_K, ConfigError, DataError,
} = api;
