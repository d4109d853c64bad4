// npm run bench: every benchmark, each comparing against a baseline in the same run and printing the ratio.
//   BENCH_ONLY=cluster|train-step|overlap|spectral|graph|pca|knn|scale   run one of them
//   BENCH_SPECTRAL_N=60000                  rows of the spectral eigen-step benchmark
//   BENCH_GRAPH_N=8000                      rows of the whole-relabel benchmark (spectral vs umap)
//   BENCH_QUICK=1                           a smaller clustering grid (d=64, n=60,000)
//   BENCH_KNN_N=250000,1000000              knn: blob sizes beyond the 60,000 real codes (bench/scale.bench.ts)
//   BENCH_SCALE_N=1000000                   scale: codes of the whole-relabel run
//   BENCH_HUGE=1                            adds the 10,000,000 × 64 code store relabel at k = 1,000
import { runClusterBench } from './cluster.bench.js';
import { runTrainStepBench } from './train-step.bench.js';
import { runOverlapBench } from './overlap.bench.js';
import { runSpectralBench } from './spectral.bench.js';
import { runGraphBench } from './graph.bench.js';
import { runPcaBench } from './pca.bench.js';
import { runKnnBench, runScaleBench } from './scale.bench.js';

const only = process.env.BENCH_ONLY;
if (!only || only === 'train-step') await runTrainStepBench();
if (!only || only === 'cluster') await runClusterBench();
if (!only || only === 'spectral') await runSpectralBench();
if (!only || only === 'graph') await runGraphBench();
if (!only || only === 'pca') await runPcaBench();
if (!only || only === 'overlap') await runOverlapBench();
if (!only || only === 'knn') await runKnnBench();
if (!only || only === 'scale') await runScaleBench();
process.exit(0);
