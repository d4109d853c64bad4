// Errors of the training stage that end a run with one line (the CLI maps them to exit codes).

/** Training cannot go on (non-finite loss or gradients past the skip budget). The CLI exits 3. */
export class TrainingError extends Error {}
