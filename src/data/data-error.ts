// The one error type of the data stage: a one-line message naming the file (or setting) and the problem.

/**
 * Thrown for every problem with input data: missing files, corrupt or truncated IDX/gzip, inconsistent
 * counts, labels out of range, bad loader options. `message` is always a single line of the form
 * `data: <file or setting>: <problem>`, so a CLI can print it as is.
 */
export class DataError extends Error {
  /** the file (or directory, or option) the problem is about */
  readonly file: string;

  constructor(file: string, problem: string) {
    super(`data: ${file}: ${problem}`.replace(/[\r\n]+/g, ' '));
    this.name = 'DataError';
    this.file = file;
  }
}
