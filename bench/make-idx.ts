// A large seeded image set with known classes, as an IDX folder that data.source "idx" reads (docs/scaling.md):
//   npx tsx bench/make-idx.ts DIR N_TRAIN [N_TEST=10000] [SEED=1]
// Images: src/data/synthetic.ts makePrototypes (28×28, 10 classes, a few operations per pixel).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makePrototypes } from '../src/data/synthetic.js';
import { writeIdxImages, writeIdxLabels } from '../src/data/write-idx.js';
import { deriveSeed } from '../src/util/rng.js';

const [dir, nTrain, nTest = '10000', seed = '1'] = process.argv.slice(2);
if (!dir || !nTrain) {
  process.stderr.write('usage: npx tsx bench/make-idx.ts DIR N_TRAIN [N_TEST] [SEED]\n');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
const t0 = performance.now();
for (const [pre, n] of [['train', Number(nTrain)], ['t10k', Number(nTest)]] as const) {
  const set = makePrototypes(n, deriveSeed(Number(seed), pre));
  writeIdxImages(join(dir, `${pre}-images-idx3-ubyte`), set.images, n, set.rows, set.cols);
  writeIdxLabels(join(dir, `${pre}-labels-idx1-ubyte`), set.labels);
}
process.stderr.write(`make-idx: ${nTrain} + ${nTest} images in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${dir}\n`);
