// The run folder as a place on disk: where it may be (outDir checked up front, name one path segment, the folder
// always inside outDir), who may write it (one process, by a lock file with the owner's pid), how files reach it
// (atomic writes that leave no partial file behind, whatever fails) and what a disk error says (one line naming
// the file). Every refusal is a RunFolderError: one line, exit 2.
import {
  appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync,
  statSync, unlinkSync, writeFileSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** A refusal about the run folder, its paths, its lock or the disk: one line, exit 2. */
export class RunFolderError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Fault injection for the tests (next to UVHE_FAULT=nan@N of train/step.ts):
//   enospc@<file>[:<n>]  the n-th atomic write (default the 1st) of a file named <file> (its base name, with or
//                        without extension: enospc@checkpoint, enospc@summary.txt) writes half of its bytes, then
//                        fails with ENOSPC, as a full disk does
//   pause@outputs        waits 1.5 s before each output phase (image grids, report, model export) and says so, so a
//                        test can send a signal inside that phase

const FAULT = process.env.UVHE_FAULT ?? '';
const ENOSPC = /^enospc@([^:]+)(?::(\d+))?$/.exec(FAULT);
let enospcSeen = 0;

function enospcDue(path: string): boolean {
  if (!ENOSPC) return false;
  const b = basename(path);
  if (b !== ENOSPC[1] && b.replace(/\.[^.]*$/, '') !== ENOSPC[1]) return false;
  enospcSeen++;
  return enospcSeen === Number(ENOSPC[2] ?? 1);
}

/** pause@outputs: wait before an output phase, saying so on stderr. */
export async function faultPause(phase: string): Promise<void> {
  if (FAULT !== 'pause@outputs') return;
  process.stderr.write(`fault: pausing before ${phase}\n`);
  await new Promise((r) => setTimeout(r, 1500));
}

// ---------------------------------------------------------------------------------------------------------------
// Disk errors

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EROFS: 'read-only file system',
  EACCES: 'permission denied', EPERM: 'operation not permitted', EIO: 'I/O error', EFBIG: 'file too large',
  ENOENT: 'no such file or folder', ENOTDIR: 'a part of the path is a file, not a folder', EISDIR: 'is a folder',
  EEXIST: 'already exists', ENAMETOOLONG: 'name too long', EMFILE: 'too many open files',
};

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code && REASONS[code] ? `${REASONS[code]} (${code})` : (e as Error).message.split('\n')[0];
}

/** A file-system error while writing `path` as one line naming the file; anything else is returned unchanged. */
export function diskError(e: unknown, path: string, verb = 'write'): unknown {
  if (e instanceof RunFolderError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !/^E[A-Z]+$/.test(code)) return e;
  return new RunFolderError(`disk: cannot ${verb} ${path}: ${reasonOf(e)}`);
}

function injectedEnospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Write a file atomically: the bytes go to <path>.tmp-<pid> (fsynced when asked), which is then renamed over
 * path, so a reader (and a crash) sees the old file or the new one, never half of one. On any failure the
 * temporary file is removed and the old file is left as it was; a disk error becomes a one-line RunFolderError
 * naming path.
 */
export function writeAtomic(path: string, data: string | Uint8Array | Uint8Array[], opts: { fsync?: boolean } = {}): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const chunks = Array.isArray(data) ? data : [typeof data === 'string' ? Buffer.from(data, 'utf8') : data];
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    const fail = enospcDue(path);
    const total = chunks.reduce((s, c) => s + c.length, 0);
    let written = 0;
    for (const c of chunks) {
      if (fail && written + c.length >= total / 2) {
        writeAll(fd, c.subarray(0, Math.max(0, Math.floor(total / 2) - written)));
        throw injectedEnospc();
      }
      writeAll(fd, c);
      written += c.length;
    }
    if (fail) throw injectedEnospc(); // an empty file
    if (opts.fsync) fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) try { closeSync(fd); } catch { /* already failing */ }
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw diskError(e, path);
  }
}

/** Append to a file (metrics.jsonl); a disk error is a one-line RunFolderError naming the file. */
export function appendLine(path: string, line: string): void {
  try {
    if (enospcDue(path)) throw injectedEnospc();
    appendFileSync(path, line);
  } catch (e) {
    throw diskError(e, path);
  }
}

/** Remove the temporary files (*.tmp-<pid>) that killed writers left in the run folder and its model/ folder.
 *  Called with the run's lock held, so no live process is writing them. Returns the names removed. */
export function removeStaleTemps(dir: string, say: (line: string) => void): string[] {
  const removed: string[] = [];
  let bytes = 0;
  for (const sub of ['', 'model']) {
    const d = join(dir, sub);
    let names: string[];
    try { names = readdirSync(d); } catch { continue; }
    for (const f of names) {
      if (!/\.tmp-\d+$/.test(f)) continue;
      const p = join(d, f);
      try { bytes += statSync(p).size; unlinkSync(p); removed.push(join(sub, f)); } catch { /* gone already */ }
    }
  }
  if (removed.length) {
    say(`removed ${removed.length} stale temporary file${removed.length > 1 ? 's' : ''} of interrupted writes (${(bytes / 1e6).toFixed(1)} MB): ${removed.join(', ')}`);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------------
// Paths

export const NAME_MAX = 100;

/**
 * `name` must be one folder name: no / or \, not . or .., no NUL byte, at most NAME_MAX characters, and not
 * blank when given ("" picks <mode>-<date>-<time>). `segments` = 2 admits <compare name>/<label>-s<seed>, each
 * part held to the same rule.
 */
export function checkName(name: string, segments = 1): void {
  if (name === '') return;
  const bad = (why: string): never => { throw new RunFolderError(`config: name ${JSON.stringify(name.length > 120 ? name.slice(0, 117) + '...' : name)} ${why}`); };
  if (name.includes('\0')) bad('contains a NUL byte');
  if (name.trim() === '') bad('is blank (give a folder name, or "" for <mode>-<date>-<time>)');
  const parts = segments > 1 ? name.split('/') : [name];
  if (parts.length > segments) bad('must be one folder name: no "/"');
  for (const p of parts) {
    if (p.length > NAME_MAX) bad(`is ${p.length} characters long; at most ${NAME_MAX}`);
    if (p.includes('/') || p.includes('\\')) bad('must be one folder name: no "/" or "\\"');
    if (p === '.' || p === '..') bad('must be one folder name, not "." or ".."');
    if (p.trim() === '') bad('has a blank part');
  }
}

/** The absolute run folder <outDir>/<name>, refused unless it lies strictly inside outDir. */
export function runDirOf(outAbs: string, name: string): string {
  const dir = resolve(outAbs, name);
  const rel = relative(outAbs, dir);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) throw new RunFolderError(`config: name ${JSON.stringify(name)} puts the run folder at ${dir}, outside outDir ${outAbs}`);
  return dir;
}

function statOrNull(p: string): Stats | null {
  try { return statSync(p); } catch { return null; }
}

/**
 * Check outDir before anything is loaded: not empty, a folder (created where missing, one level at a time, so a
 * file system that refuses folders, such as /proc, is an error instead of a hang), and writable (a real test
 * write, removed again). Returns its absolute path.
 */
export function prepareOutDir(outDir: string): string {
  if (typeof outDir !== 'string' || outDir.trim() === '') throw new RunFolderError('config: outDir is empty; give the folder that holds run folders (default "runs")');
  if (outDir.includes('\0')) throw new RunFolderError('config: outDir contains a NUL byte');
  const abs = resolve(outDir);
  const st = statOrNull(abs);
  if (st && !st.isDirectory()) throw new RunFolderError(`config: outDir ${abs} is a file, not a folder`);
  if (!st) {
    const missing: string[] = [];
    let p = abs;
    for (; !statOrNull(p); p = dirname(p)) missing.unshift(p);
    if (!statOrNull(p)!.isDirectory()) throw new RunFolderError(`config: outDir ${abs} cannot be created: ${p} is a file, not a folder`);
    for (const m of missing) {
      try { mkdirSync(m); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statOrNull(m)?.isDirectory()) continue;
        throw new RunFolderError(`config: outDir ${abs} cannot be created: mkdir ${m}: ${reasonOf(e)}`);
      }
    }
  }
  const probe = join(abs, `.uvhe-write-test-${process.pid}`);
  try {
    writeFileSync(probe, 'uvhe');
    unlinkSync(probe);
  } catch (e) {
    try { unlinkSync(probe); } catch { /* never written */ }
    throw new RunFolderError(`config: outDir ${abs} is not writable: ${reasonOf(e)}`);
  }
  return abs;
}

function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** outDir/<name>, never reusing a folder that already exists (an earlier run's results are never overwritten).
 *  outAbs is prepareOutDir's answer, name already checked. */
export function makeRunDir(outAbs: string, name: string, mode: string): string {
  const base = runDirOf(outAbs, name || `${mode}-${stamp()}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw diskError(e, dir, 'create');
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// The lock: runs/<name>/.lock holds the pid of the one process that writes the folder.

export const LOCK_FILE = '.lock';

export interface RunLock {
  path: string;
  /** remove the lock (if it is still ours); idempotent */
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readPid(path: string): number | null {
  try {
    const m = /^\s*(\d+)\s*$/.exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Take the run folder's lock, created with O_EXCL. A lock held by a live process is a one-line refusal naming its
 * pid; one left by a dead process (a kill -9, a crash) is taken over with a message. The lock is removed by
 * release(), at process exit, and on SIGINT / SIGTERM while nothing else handles them.
 */
export function acquireLock(dir: string, say: (line: string) => void): RunLock {
  const path = join(dir, LOCK_FILE);
  const create = (): boolean => {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw diskError(e, path, 'create the lock');
    }
  };
  if (!create()) {
    const pid = readPid(path);
    const inUse = (who: string): never => {
      throw new RunFolderError(`run folder ${dir} is in use by ${who} (lock file ${path}); wait for it to end, or stop it`);
    };
    if (pid === process.pid) inUse(`this process (pid ${pid})`);
    if (pid !== null && alive(pid)) inUse(`process ${pid}`);
    if (pid === null && Date.now() - (statOrNull(path)?.mtimeMs ?? 0) < 5_000) inUse('a process that is starting (no pid in the lock yet)');
    // Stale. Only one process may take it over: the takeover itself is guarded by an O_EXCL file.
    const guard = `${path}.takeover`;
    try {
      writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw diskError(e, guard, 'create');
      const gp = readPid(guard);
      if (gp !== null && alive(gp)) inUse(`process ${gp}, which is taking over a stale lock`);
      try { unlinkSync(guard); } catch { /* raced */ }
      writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
    }
    try {
      if (readPid(path) !== pid) inUse('another process that took over the stale lock');
      try { unlinkSync(path); } catch { /* raced */ }
      if (!create()) inUse(`process ${readPid(path) ?? '?'}`);
    } finally {
      try { unlinkSync(guard); } catch { /* gone */ }
    }
    say(`taking over the stale lock of process ${pid ?? '(unknown)'}, which is no longer running (${path})`);
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    try { if (readPid(path) === process.pid) unlinkSync(path); } catch { /* gone */ }
  };
  // A signal before run.ts installs its own handler (loading data, checking a checkpoint): exit as the default
  // action would, after removing the lock. While another handler is installed, that one decides.
  const onSignal = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (process.listenerCount(sig) > 1) return;
    release();
    process.stderr.write(`${sig}: stopped before training started\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  const onInt = (): void => onSignal('SIGINT'), onTerm = (): void => onSignal('SIGTERM');
  process.on('exit', release);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return { path, release };
}
