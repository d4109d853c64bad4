// The CPU trainer's thread protocol, declared once: the control block (an Int32Array over the trainer's shared
// memory), the operations a team of threads splits into chunks, and each operation's arguments in slot order.
// The main thread writes an operation here; every thread (workers included) claims and runs its chunks inside the
// wasm module (assembly/team.ts teamClaim), which reads the same slots: teamProtocol() there must equal
// PROTOCOL_HASH here, or the loader refuses the build. A claim is a compare-exchange on a word holding
// (generation, next chunk), so a thread that wakes late can never run a chunk under another operation's arguments.

/** Int32 slots of the control block. */
export const CTL = {
  /** bumped (mod 2^15) to publish an operation; workers Atomics.wait on it */
  gen: 0,
  /** (gen << 16) | next unclaimed chunk */
  claim: 1,
  /** chunks finished in this generation; the main thread waits on it */
  done: 2,
  /** 1 asks the workers to exit */
  quit: 3,
  op: 4,
  chunks: 5,
  /** workers that have instantiated the kernels and wait for work */
  ready: 6,
  /** units (rows, panels or elements) the operation splits, and the multiple chunk boundaries fall on */
  units: 7,
  align: 8,
  /** integer arguments from here (16 slots) */
  args: 9,
  /** float arguments (a Float32Array view) from here (7 slots) */
  fargs: 25,
} as const;
export const CTL_WORDS = 32;
export const CTL_BYTES = CTL_WORDS * 4;

export const enum Op {
  /** gemmPack over panels of op(B) */
  Pack = 1,
  /** gemmPacked over rows of C, then rowEpilogue */
  Mm = 2,
  /** adamRange over elements */
  Adam = 3,
  /** headOut over rows of the d means */
  HeadOut = 4,
  /** sampleBack over rows of the d means */
  SampleBack = 5,
  /** bceRows over pixel rows */
  Bce = 6,
  /** klZRows over rows of z */
  KlZ = 7,
  /** klCRows over rows of c */
  KlC = 8,
  /** mixGather over hidden rows */
  MixGather = 9,
  /** mixScatter over hidden rows */
  MixScatter = 10,
  /** gatherPixels over pixel rows */
  Gather = 11,
}
const OPS = 11;

/** Each operation's integer arguments in slot order (byte offsets unless said; 0 = none for optional pointers) and
 *  float arguments; the wasm dispatch (assembly/team.ts runChunk) reads them in this order. */
export interface OpArgs {
  [Op.Pack]: { ints: [B: number, ldb: number, transB: number, K: number, N: number, dst: number, kIdx: number, nIdx: number]; floats: [] };
  [Op.Mm]: {
    ints: [A: number, lda: number, transA: number, packed: number, C: number, ldc: number, N: number, K: number, accumulate: number,
      bias: number, relu: number, mask: number, rowsum: number, flag: number, kIdx: number, cIdx: number];
    floats: [];
  };
  [Op.Adam]: { ints: [w: number, g: number, m: number, v: number]; floats: [b1: number, b2: number, a: number, cb2: number, eps: number] };
  [Op.HeadOut]: { ints: [y: number, b: number, sOut: number, eps: number, out: number, d: number, cols: number]; floats: [bound: number] };
  [Op.SampleBack]: { ints: [dOut: number, s: number, eps: number, dy: number, db: number, d: number, cols: number]; floats: [bound: number] };
  [Op.Bce]: { ints: [logits: number, x: number, dl: number, cols: number, rowLoss: number, db: number]; floats: [invB: number] };
  [Op.KlZ]: {
    ints: [yq: number, sq: number, yp: number, sp: number, dyq: number, dyp: number, d: number, cols: number, prior: number, rowKl: number];
    floats: [invB: number];
  };
  [Op.KlC]: { ints: [yc: number, sc: number, dy: number, inv: number, d: number, cols: number, rowKl: number, rowKlW: number]; floats: [invB: number] };
  [Op.MixGather]: { ints: [hu: number, U: number, idx: number, m: number, hbar: number, B: number]; floats: [w: number] };
  [Op.MixScatter]: { ints: [dhbar: number, B: number, idx: number, m: number, dhu: number, hu: number, U: number, rowsum: number]; floats: [w: number] };
  [Op.Gather]: { ints: [images: number, idx: number, cols: number, P: number, lut: number, out: number]; floats: [] };
}

/** What assembly/team.ts teamProtocol() returns for the slots above. */
export const PROTOCOL_HASH = [CTL.claim, CTL.done, CTL.op, CTL.chunks, CTL.units, CTL.align, CTL.args, CTL.fargs, OPS]
  .reduce((h, x) => (Math.imul(h, 31) + x) | 0, 0);

/** What a worker gets at start-up (workerData): worker.mjs reads nothing else. */
export interface TeamWorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** byte offset of the control block, and its size in Int32 words */
  ctl: number;
  words: number;
  /** byte offset of this worker's gemm tile (gemmTileBytes) */
  tile: number;
  /** the slots a worker touches itself */
  slots: { gen: number; quit: number; ready: number };
  /** polls of the generation word before sleeping on it */
  spin: number;
}
