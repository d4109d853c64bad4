// Clustering metrics of pseudo-labels against true labels: NMI, Hungarian cluster accuracy, cluster sizes.
//
// Labels and cluster ids are non-negative integers in Int32Arrays of equal length n. Class ids and cluster
// ids need not be contiguous: an id that never occurs simply contributes an empty row/column.

// Hungarian solver: `munkres` (MIT, pinned 2.0.4). Chosen over `munkres-js` (1.2.2) because it is typed
// (ships .d.ts), ESM-native with zero dependencies, handles rectangular M×N matrices directly (k clusters ≠
// C classes: it returns min(k, C) pairs, the remaining clusters stay unmatched) and accepts typed-array rows.
// It runs in O(M²N), negligible at k, C ≤ a few hundred.
import { munkres } from 'munkres';

function checkPair(name: string, trueLabels: Int32Array, pred: Int32Array): void {
  if (trueLabels.length !== pred.length) {
    throw new RangeError(`${name}: trueLabels has ${trueLabels.length} entries but pred has ${pred.length}`);
  }
  if (trueLabels.length === 0) throw new RangeError(`${name}: no examples`);
}

function maxId(name: string, what: string, a: Int32Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < 0) throw new RangeError(`${name}: ${what}[${i}] = ${v} is negative`);
    if (v > m) m = v;
  }
  return m;
}

/** Contingency table: counts[cluster·numClasses + class] = #examples with that predicted cluster and true class. */
export interface Contingency {
  /** rows = clusters (0..k-1), columns = classes (0..numClasses-1), row-major */
  counts: Int32Array;
  k: number;
  numClasses: number;
  n: number;
}

/**
 * Builds the k×numClasses contingency table. `k` and `numClasses` default to max id + 1 and may be given
 * larger (e.g. to include clusters that are empty); ids ≥ the given size throw.
 */
export function contingency(trueLabels: Int32Array, pred: Int32Array, k?: number, numClasses?: number): Contingency {
  checkPair('contingency', trueLabels, pred);
  const C = Math.max(numClasses ?? 0, maxId('contingency', 'trueLabels', trueLabels) + 1);
  const K = Math.max(k ?? 0, maxId('contingency', 'pred', pred) + 1);
  if (numClasses !== undefined && C > numClasses) throw new RangeError(`contingency: a true label is ≥ numClasses ${numClasses}`);
  if (k !== undefined && K > k) throw new RangeError(`contingency: a cluster id is ≥ k ${k}`);
  const counts = new Int32Array(K * C);
  for (let i = 0; i < pred.length; i++) counts[pred[i]! * C + trueLabels[i]!]!++;
  return { counts, k: K, numClasses: C, n: pred.length };
}

/**
 * Normalized mutual information between the true classes U and the predicted clusters V, in [0, 1]:
 *
 *   NMI = I(U; V) / ((H(U) + H(V)) / 2)
 *
 * i.e. the arithmetic-mean normalisation, sklearn's default (`normalized_mutual_info_score`,
 * average_method="arithmetic"). Entropies use natural logs (the base cancels). Like sklearn, two
 * single-cluster partitions score 1, and I = 0 (e.g. one side is a single cluster) scores 0.
 */
export function nmi(trueLabels: Int32Array, pred: Int32Array): number {
  const t = contingency(trueLabels, pred);
  const { counts, k: K, numClasses: C, n } = t;
  const rowSum = new Float64Array(K);
  const colSum = new Float64Array(C);
  for (let r = 0; r < K; r++) {
    for (let c = 0; c < C; c++) {
      const v = counts[r * C + c]!;
      rowSum[r]! += v;
      colSum[c]! += v;
    }
  }
  const entropy = (sums: Float64Array): { h: number; used: number } => {
    let h = 0;
    let used = 0;
    for (const s of sums) {
      if (s > 0) {
        const p = s / n;
        h -= p * Math.log(p);
        used++;
      }
    }
    return { h, used };
  };
  const hU = entropy(colSum);
  const hV = entropy(rowSum);
  if (hU.used === 1 && hV.used === 1) return 1;
  let mi = 0;
  for (let r = 0; r < K; r++) {
    for (let c = 0; c < C; c++) {
      const v = counts[r * C + c]!;
      if (v > 0) mi += (v / n) * Math.log((n * v) / (rowSum[r]! * colSum[c]!));
    }
  }
  mi = Math.max(mi, 0);
  if (mi === 0) return 0;
  const denom = Math.max((hU.h + hV.h) / 2, Number.EPSILON);
  return Math.min(mi / denom, 1);
}

/** Result of matching clusters to classes one-to-one. */
export interface ClusterAccuracy {
  /** fraction of examples whose cluster is matched to their true class, in [0, 1] */
  accuracy: number;
  /** mapping[cluster] = the class it is matched to, or -1 if unmatched (length k) */
  mapping: Int32Array;
}

/**
 * Cluster accuracy: the best one-to-one matching of predicted clusters to classes (Hungarian algorithm on
 * the k×C contingency table, maximizing the matched count), then the fraction of examples that land on
 * their class. With k > C clusters, k − C clusters stay unmatched and all their examples count as wrong;
 * with k < C, some classes get no cluster. `k` / `numClasses` optionally fix the table size (so that
 * `mapping` covers empty clusters too).
 */
export function clusterAccuracy(
  trueLabels: Int32Array,
  pred: Int32Array,
  k?: number,
  numClasses?: number,
): ClusterAccuracy {
  const t = contingency(trueLabels, pred, k, numClasses);
  const { counts, k: K, numClasses: C, n } = t;
  // cost = −count: minimizing cost maximizes the number of matched examples
  const cost: Float64Array[] = [];
  for (let r = 0; r < K; r++) {
    const row = new Float64Array(C);
    for (let c = 0; c < C; c++) row[c] = -counts[r * C + c]!;
    cost.push(row);
  }
  const mapping = new Int32Array(K).fill(-1);
  let correct = 0;
  for (const [r, c] of munkres(cost)) {
    mapping[r] = c;
    correct += counts[r * C + c]!;
  }
  return { accuracy: correct / n, mapping };
}

/** Number of examples in each cluster 0..k-1 (length k). Ids outside 0..k-1 throw. */
export function clusterSizes(pred: Int32Array, k: number): Int32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`clusterSizes: k must be a positive integer, got ${k}`);
  const sizes = new Int32Array(k);
  for (let i = 0; i < pred.length; i++) {
    const v = pred[i]!;
    if (!(v >= 0 && v < k)) throw new RangeError(`clusterSizes: pred[${i}] = ${v} is outside 0..${k - 1}`);
    sizes[v]!++;
  }
  return sizes;
}

/** Number of clusters with no examples. */
export function emptyClusters(sizes: Int32Array): number {
  let e = 0;
  for (let i = 0; i < sizes.length; i++) if (sizes[i] === 0) e++;
  return e;
}

/**
 * Neighbour label purity: the fraction of (row, neighbour) pairs whose true labels agree, over n rows and their
 * K nearest neighbours (idx: n×K row indices, row-major). How well a code's local neighbourhood already
 * separates the classes, independent of any clustering rule: a ceiling for what a graph rule can find.
 */
export function neighbourPurity(trueLabels: Int32Array, idx: Int32Array, K: number): number {
  const n = trueLabels.length;
  if (!(K >= 1) || idx.length !== n * K) throw new Error(`neighbourPurity: idx has ${idx.length} entries, expected n·K = ${n}·${K}`);
  let same = 0;
  for (let i = 0; i < n; i++) {
    const y = trueLabels[i];
    for (let q = 0; q < K; q++) if (trueLabels[idx[i * K + q]] === y) same++;
  }
  return same / (n * K);
}

/** How even the sizes of a partition's k clusters are: the entropy of the sizes over log k, in [0, 1] (1: all
 *  equal; empty clusters count as 0). Label-free, so a rule may use it to choose among its own fits. */
export function sizeEvenness(labels: Int32Array, k: number): number {
  if (k < 2) return 1;
  const sizes = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]] += 1;
  let h = 0;
  for (const c of sizes) if (c > 0) { const q = c / labels.length; h -= q * Math.log(q); }
  return h / Math.log(k);
}
