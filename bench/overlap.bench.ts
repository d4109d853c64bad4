// Overlap: does clustering cost the trainer anything? One uvhe epoch (the SIMD pool keeps the store, samples D
// one batch ahead, relabels at the epoch boundary) against one vhe epoch (D from the true classes, no
// clustering) with the same networks, n = 60,000 and k = 100. Prints the ratio and the trainer's pool wait.
//   tsx bench/overlap.bench.ts      (Fashion-MNIST's 60,000 when installed, else the embedded digits tiled)
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolveConfig } from '../src/config.js';
import { initBackend } from '../src/backend.js';
import { loadDataset, type Dataset, type Split } from '../src/data/dataset.js';
import { train, type MetricsRecord } from '../src/train/loop.js';

const FASHION = '/usr/share/datasets/fashion-mnist';

function tile(d: Dataset, n: number): Dataset {
  const P = d.rows * d.cols;
  const images = new Uint8Array(n * P), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    images.set(d.images.subarray((i % d.n) * P, (i % d.n + 1) * P), i * P);
    labels[i] = d.labels![i % d.n];
  }
  return { ...d, n, images, labels, name: `${d.name}×tiled` };
}

export async function runOverlapBench(n = Number(process.env.OVERLAP_N ?? 60000), k = 100): Promise<void> {
  let split: Split;
  if (existsSync(FASHION)) split = loadDataset({ source: 'idx', dir: FASHION, testFraction: 0, seed: 1 });
  else {
    const s = loadDataset({ source: 'mnist', testFraction: 0.2, seed: 1 });
    split = { ...s, train: tile(s.train, n), source: `${s.source}, train tiled to ${n}` };
  }
  if (split.train.n > n) split = { ...split, train: { ...split.train, n, images: split.train.images.subarray(0, n * 784), labels: split.train.labels!.subarray(0, n) } };
  await initBackend('auto');
  const epochOf = async (mode: 'vhe' | 'uvhe'): Promise<MetricsRecord> => {
    // One D per x in both modes: with D shared per cluster the c-encoder's work would depend on how many
    // clusters a batch touches (100 pseudo-classes vs 10 true ones), which is not what this measures.
    const cfg = resolveConfig({ mode, train: { epochs: 1, progress: 'none', shareSubsets: false }, cluster: { k, embed: 'none' }, eval: { every: 0 }, checkpoint: { every: 0 } });
    return (await train(cfg, { ...split, test: { ...split.test, n: 0 } })).last;
  };
  console.log(`\noverlap: one epoch per run, n = ${split.train.n}, k = ${k}, batch 128, |D| 5, one D per x (${split.source})`);
  // ABBA order (vhe, uvhe, uvhe, vhe): the first run also pays JIT and kernel warm-up, and the machine's speed
  // drifts; averaging each mode over both positions cancels a linear drift instead of charging it to one mode.
  const order: Array<'vhe' | 'uvhe'> = ['vhe', 'uvhe', 'uvhe', 'vhe'];
  const runs: Array<{ mode: 'vhe' | 'uvhe'; rec: MetricsRecord }> = [];
  for (const mode of order) {
    const rec = await epochOf(mode);
    runs.push({ mode, rec });
    const extra = mode === 'uvhe' ? `   (relabel ${Number(rec['time/relabel']).toFixed(2)} s, pool wait ${Number(rec['time/poolWait']).toFixed(2)} s = ${(100 * Number(rec['time/poolWaitFraction'])).toFixed(2)} % of the epoch)` : '';
    console.log(`${mode.padEnd(5)} epoch  ${Number(rec['time/epoch']).toFixed(1)} s${extra}`);
  }
  const mean = (m: 'vhe' | 'uvhe', key: string): number => {
    const xs = runs.filter((r) => r.mode === m).map((r) => Number(r.rec[key]));
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const ratio = mean('uvhe', 'time/epoch') / mean('vhe', 'time/epoch');
  const waitFrac = mean('uvhe', 'time/poolWaitFraction');
  console.log(`uvhe / vhe  ${ratio.toFixed(3)}× (means of 2 epochs each)   pool wait ${(100 * waitFrac).toFixed(2)} %   (goals ≤ 1.03×, < 1 %)`);
  const vhe = runs[0].rec, uvhe = runs[1].rec;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/overlap.json', JSON.stringify({ n: split.train.n, k, order, epochs: runs.map((r) => ({ mode: r.mode, epoch: r.rec['time/epoch'], poolWait: r.rec['time/poolWait'] })), ratio, poolWaitFraction: waitFrac, vhe, uvhe }, null, 2) + '\n');
}

if (process.argv[1] && /overlap\.bench\.ts$/.test(process.argv[1])) { await runOverlapBench(); process.exit(0); }
