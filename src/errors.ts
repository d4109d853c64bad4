// Error classes that the CLI tells apart with instanceof, in a module that imports nothing, so that
// `--help`, `--print-config` and config errors never load tfjs (backend.ts re-exports BackendError).

/** The backend a config asks for explicitly is not available (a one-line message; exit code 2). */
export class BackendError extends Error {}
