// The uvhe browser demo (built by `npm run demo`, docs/demo.md): loads a run's exported networks with tfjs
// (global `tf` from tf.min.js), reads a drawn or dropped digit, preprocesses it as the run did (uvhe.json), encodes it
// (c = mean of q(c|D = {x}), z = mean of q(z|c, x)), shows its reconstruction, places it by the K-nearest-neighbour
// vote of model/clusters.bin (docs/formats.md), and decodes few-shot samples of that cluster.
/* global tf, document, window, createImageBitmap */

const $ = (id) => document.getElementById(id);
/** 2-D contexts read back on the CPU (drawing → pixels, small canvases): no GPU readback. */
const RF = { willReadFrequently: true };
const state = { man: null, data: null, nets: {}, ref: null, x: null, cluster: -1, updates: 0 };

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** model/clusters.json + clusters.bin: codes n×d (float32), labels n (int32), weights d (float32), little-endian. */
async function loadClusters() {
  const h = await getJSON('model/clusters.json');
  const r = await fetch('model/clusters.bin');
  if (!r.ok) throw new Error(`model/clusters.bin: HTTP ${r.status}`);
  const dv = new DataView(await r.arrayBuffer());
  const block = (name, read) => {
    const b = h.blocks.find((x) => x.name === name);
    return Array.from({ length: b.count }, (_, i) => read(b.offset + 4 * i));
  };
  return {
    ...h,
    codes: Float32Array.from(block('codes', (o) => dv.getFloat32(o, true))),
    labels: Int32Array.from(block('labels', (o) => dv.getInt32(o, true))),
    weights: Float32Array.from(block('weights', (o) => dv.getFloat32(o, true))),
  };
}

/** Majority vote of the K nearest reference codes (weighted squared distance); ties go to the nearer voter. */
function vote(ref, q) {
  const { n, d, k, codes, labels, weights: w } = ref, K = Math.min(ref.K, n);
  const best = []; // [dist, row], sorted, at most K
  for (let r = 0; r < n; r++) {
    let dist = 0;
    for (let j = 0; j < d; j++) { const t = q[j] - codes[r * d + j]; dist += w[j] * t * t; }
    if (best.length === K && dist >= best[K - 1][0]) continue;
    let p = best.length < K ? best.length : K - 1;
    best[p] = [dist, r];
    while (p > 0 && best[p - 1][0] > dist) { [best[p - 1], best[p]] = [best[p], best[p - 1]]; p--; }
  }
  const votes = new Int32Array(k), nearest = new Float64Array(k).fill(Infinity);
  for (const [dist, r] of best) { votes[labels[r]]++; nearest[labels[r]] = Math.min(nearest[labels[r]], dist); }
  let c = 0;
  for (let l = 1; l < k; l++) if (votes[l] > votes[c] || (votes[l] === votes[c] && nearest[l] < nearest[c])) c = l;
  return { cluster: c, votes: votes[c], of: best.length, confidence: best.length ? votes[c] / best.length : 0 };
}

/** Moment-based deskew of one rows×cols byte image, as src/data/deskew.ts does (shear by Cov(r,c)/Var(r), centre). */
function deskew(src, rows, cols) {
  const out = new Uint8Array(rows * cols);
  let m = 0, sr = 0, sc = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { const v = src[r * cols + c]; m += v; sr += v * r; sc += v * c; }
  if (m === 0) { out.set(src); return out; }
  const mr = sr / m, mc = sc / m;
  let vr = 0, cv = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) { const v = src[r * cols + c]; vr += v * (r - mr) * (r - mr); cv += v * (r - mr) * (c - mc); }
  const alpha = vr > 0 ? cv / vr : 0, r0 = (rows - 1) / 2, c0 = (cols - 1) / 2;
  const at = (r, c) => (r >= 0 && r < rows && c >= 0 && c < cols ? src[r * cols + c] : 0);
  for (let r = 0; r < rows; r++) {
    const ir = r - r0 + mr, rf = Math.floor(ir), fr = ir - rf;
    for (let c = 0; c < cols; c++) {
      const ic = c - c0 + mc + alpha * (r - r0), cf = Math.floor(ic), fc = ic - cf;
      const v = (1 - fr) * ((1 - fc) * at(rf, cf) + fc * at(rf, cf + 1)) + fr * ((1 - fc) * at(rf + 1, cf) + fc * at(rf + 1, cf + 1));
      out[r * cols + c] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return out;
}

/** m images (m·P bytes) → [m, P] floats as the networks read them: deskewed when the run was, then / scale. */
function prepare(bytes) {
  const { rows, cols } = state.man.image, P = rows * cols, m = bytes.length / P;
  const x = new Float32Array(bytes.length);
  for (let i = 0; i < m; i++) {
    const img = bytes.subarray(i * P, (i + 1) * P);
    const y = state.man.preprocess.deskew ? deskew(img, rows, cols) : img;
    for (let p = 0; p < P; p++) x[i * P + p] = y[p] / state.man.preprocess.scale;
  }
  return x;
}

/** The drawing canvas as an MNIST-style image: ink's bounding box scaled (area average) into 20×20, then placed
 *  so that its centre of mass is the image centre. Returns rows×cols bytes, or null when nothing is drawn. */
function canvasToImage(canvas) {
  const { rows, cols } = state.man.image, W = canvas.width, H = canvas.height;
  const rgba = canvas.getContext('2d', RF).getImageData(0, 0, W, H).data;
  const g = new Float32Array(W * H);
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let i = 0; i < W * H; i++) {
    g[i] = (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2]) / 3;
    if (g[i] > 20) { const x = i % W, y = (i - x) / W; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  }
  if (x1 < 0) return null;
  const box = Math.round(Math.min(rows, cols) * 20 / 28), bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = Math.max(bw, bh) / box, w = Math.max(1, Math.round(bw / s)), h = Math.max(1, Math.round(bh / s));
  const small = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const ya = y0 + Math.floor(y * s), yb = Math.max(ya + 1, y0 + Math.floor((y + 1) * s));
    const xa = x0 + Math.floor(x * s), xb = Math.max(xa + 1, x0 + Math.floor((x + 1) * s));
    let sum = 0, cnt = 0;
    for (let yy = ya; yy < Math.min(yb, H); yy++) for (let xx = xa; xx < Math.min(xb, W); xx++) { sum += g[yy * W + xx]; cnt++; }
    small[y * w + x] = cnt ? sum / cnt : 0;
  }
  let m = 0, my = 0, mx = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const v = small[y * w + x]; m += v; my += v * y; mx += v * x; }
  const oy = Math.round((rows - 1) / 2 - my / m), ox = Math.round((cols - 1) / 2 - mx / m);
  const out = new Uint8Array(rows * cols);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const r = y + oy, c = x + ox;
    if (r >= 0 && r < rows && c >= 0 && c < cols) out[r * cols + c] = Math.min(255, Math.round(small[y * w + x]));
  }
  return out;
}

/** Draws m images (values in [0, vmax], white ink on black) side by side, `perRow` per row, into `canvas`. */
function drawImages(canvas, px, m, vmax, perRow = m) {
  const { rows, cols } = state.man.image, P = rows * cols;
  const tile = document.createElement('canvas');
  tile.width = cols * Math.min(m, perRow); tile.height = rows * Math.ceil(m / perRow);
  const tc = tile.getContext('2d', RF), img = tc.createImageData(tile.width, tile.height);
  for (let i = 0; i < m; i++) {
    const ox = (i % perRow) * cols, oy = Math.floor(i / perRow) * rows;
    for (let p = 0; p < P; p++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, px[i * P + p] / vmax)));
      const o = 4 * ((oy + Math.floor(p / cols)) * tile.width + ox + (p % cols));
      img.data[o] = img.data[o + 1] = img.data[o + 2] = v; img.data[o + 3] = 255;
    }
  }
  tc.putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d', RF);
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(tile, 0, 0, canvas.width, canvas.width * tile.height / tile.width);
}

/** Codes of x [1, P]: z (and c for vhe/uvhe), as the API's encode: c = mean of q(c|{x}), z = mean of q(z|c, x)
 *  (vhe) or q(z|x) (uvhe, vae): the model's inputs say which. */
function encode(xt) {
  const { encoderZ, encoderCMember, encoderCHeads } = state.nets;
  if (!encoderCMember) return { z: encoderZ.predict(xt)[0], c: null };
  const c = encoderCHeads.predict(encoderCMember.predict(xt))[0];
  return { z: encoderZ.predict(encoderZ.inputs.length === 2 ? [xt, c] : xt)[0], c };
}

function decode(z, c) {
  const readsC = c && state.nets.decoder.inputs[0].shape[1] === z.shape[1] + c.shape[1];
  return state.nets.decoder.predict(readsC ? tf.concat([z, c], 1) : z);
}

function b64bytes(s) {
  const bin = window.atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Few-shot samples of cluster `id`: D = its example images, c = mean of q(c|D), z ~ p(z|c), decoder means. */
function fewShot(id) {
  const cl = state.data.clusters[id], canvas = $('fewshot');
  const ctx = canvas.getContext('2d', RF);
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!state.nets.priorZ || !cl || !cl.indices.length) {
    $('fewInfo').textContent = state.nets.priorZ ? 'this cluster has no training images' : 'a vae run has no class code: no few-shot samples';
    $('resample').disabled = true;
    return;
  }
  const n = 8, bytes = b64bytes(cl.pixels), P = state.man.shape.pixels, m = bytes.length / P;
  const px = tf.tidy(() => {
    const D = tf.tensor2d(prepare(bytes), [m, P]);
    const c = state.nets.encoderCHeads.predict(tf.mean(state.nets.encoderCMember.predict(D), 0, true))[0];
    const cs = tf.tile(c, [n, 1]);
    const [mu, logStd] = state.nets.priorZ.predict(cs);
    const z = tf.add(mu, tf.mul(tf.exp(logStd), tf.randomNormal(mu.shape)));
    return decode(z, cs).dataSync();
  });
  drawImages(canvas, px, n, 1, 4);
  $('fewInfo').textContent = `c = mean of q(c|D), D = the ${m} training images of cluster ${id} shown; z ~ p(z|c); decoder means`;
  $('resample').disabled = false;
}

function showExamples(id) {
  const box = $('examples');
  box.textContent = '';
  const cl = state.data.clusters[id];
  if (!cl) return;
  const bytes = b64bytes(cl.pixels), P = state.man.shape.pixels;
  for (let i = 0; i < bytes.length / P; i++) {
    const c = document.createElement('canvas');
    c.width = c.height = 56; c.className = 'example'; c.title = `training image ${cl.indices[i]}`;
    drawImages(c, bytes.subarray(i * P, (i + 1) * P), 1, 255);
    box.appendChild(c);
  }
}

function clearOutputs(msg) {
  for (const id of ['input', 'recon', 'fewshot']) { const c = $(id), x = c.getContext('2d', RF); x.fillStyle = '#000'; x.fillRect(0, 0, c.width, c.height); }
  $('cluster').textContent = msg; $('clusterInfo').textContent = ''; $('examples').textContent = '';
  $('resample').disabled = true;
}

/** One image (rows×cols bytes): what the networks read, its reconstruction, and its cluster's vote (null without
 *  clustering state). The vote reads the part of [z‖c] that clusters.json's `space` names. */
function classify(img) {
  const P = state.man.shape.pixels, x = prepare(img), ref = state.ref;
  const out = tf.tidy(() => {
    const { z, c } = encode(tf.tensor2d(x, [1, P]));
    return { recon: decode(z, c).dataSync(), z: z.dataSync(), c: c ? c.dataSync() : null };
  });
  const q = !ref ? null : ref.space === 'z' || !out.c ? out.z : ref.space === 'c' ? out.c : Float32Array.from([...out.z, ...out.c]);
  return { x, recon: out.recon, vote: ref ? vote(ref, q) : null };
}

/** Everything that follows a change of the drawing. */
function update() {
  const img = canvasToImage($('draw'));
  state.updates++;
  if (!img) { clearOutputs('draw something'); document.body.dataset.updates = String(state.updates); return; }
  const { x, recon, vote: v } = classify(img);
  drawImages($('input'), x, 1, 1);
  drawImages($('recon'), recon, 1, 1);
  const ref = state.ref;
  if (v) {
    const cl = state.data.clusters[v.cluster];
    state.cluster = v.cluster;
    $('cluster').innerHTML = `cluster <b id="clusterId">${v.cluster}</b> · confidence <b id="confidence">${v.confidence.toFixed(2)}</b>`;
    const label = cl && cl.label !== null ? (cl.label >= 0 ? `; matched to label ${cl.label} on the training labels` : '; matched to no label') : '';
    $('clusterInfo').textContent = `${v.votes} of the ${v.of} nearest training codes (${ref.space}) vote for it; ` +
      `${cl ? cl.size : 0} training images are in it${label}`;
    showExamples(v.cluster);
    fewShot(v.cluster);
  } else {
    $('cluster').textContent = 'this run has no clustering state (a vae trained without labels)';
  }
  document.body.dataset.updates = String(state.updates);
}

function setupDrawing() {
  const cv = $('draw'), ctx = cv.getContext('2d', RF);
  const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, cv.width, cv.height); };
  clear();
  ctx.strokeStyle = '#fff'; ctx.lineWidth = cv.width / 12; ctx.lineCap = ctx.lineJoin = 'round';
  let drawing = false;
  const pos = (e) => { const b = cv.getBoundingClientRect(); return [(e.clientX - b.left) * cv.width / b.width, (e.clientY - b.top) * cv.height / b.height]; };
  cv.addEventListener('pointerdown', (e) => { drawing = true; cv.setPointerCapture(e.pointerId); const [x, y] = pos(e); ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x, y); ctx.stroke(); });
  cv.addEventListener('pointermove', (e) => { if (!drawing) return; const [x, y] = pos(e); ctx.lineTo(x, y); ctx.stroke(); });
  const end = () => { if (drawing) { drawing = false; update(); } };
  cv.addEventListener('pointerup', end);
  cv.addEventListener('pointercancel', end);
  $('clear').addEventListener('click', () => { clear(); update(); });
  $('resample').addEventListener('click', () => fewShot(state.cluster));

  // a dropped or chosen image: drawn onto the canvas (fit, grey; inverted when its background is light)
  const load = async (file) => {
    if (!file) return;
    const bmp = await createImageBitmap(file);
    const tmp = document.createElement('canvas');
    tmp.width = cv.width; tmp.height = cv.height;
    const t = tmp.getContext('2d', RF);
    t.fillStyle = '#000'; t.fillRect(0, 0, tmp.width, tmp.height);
    const s = Math.min(tmp.width / bmp.width, tmp.height / bmp.height);
    t.drawImage(bmp, (tmp.width - bmp.width * s) / 2, (tmp.height - bmp.height * s) / 2, bmp.width * s, bmp.height * s);
    const d = t.getImageData(0, 0, tmp.width, tmp.height);
    let sum = 0;
    for (let i = 0; i < d.data.length; i += 4) sum += (d.data[i] + d.data[i + 1] + d.data[i + 2]) / 3;
    const invert = sum / (d.data.length / 4) > 127;
    for (let i = 0; i < d.data.length; i += 4) {
      const g = (d.data[i] + d.data[i + 1] + d.data[i + 2]) / 3;
      d.data[i] = d.data[i + 1] = d.data[i + 2] = invert ? 255 - g : g; d.data[i + 3] = 255;
    }
    ctx.putImageData(d, 0, 0);
    update();
  };
  const report = (e) => showError(e);
  $('file').addEventListener('change', (e) => load(e.target.files[0]).catch(report));
  const drop = $('drop');
  for (const el of [drop, cv]) {
    el.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    el.addEventListener('dragleave', () => drop.classList.remove('over'));
    el.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); load(e.dataTransfer.files[0]).catch(report); });
  }
}

function showError(e) {
  const el = $('error');
  el.hidden = false;
  el.textContent = `error: ${e && e.message ? e.message : e}`;
}

async function main() {
  await tf.setBackend('cpu'); // small dense networks: the cpu backend is quick and needs no GPU
  await tf.ready();
  state.man = await getJSON('model/uvhe.json');
  state.data = await getJSON('data.json');
  for (const name of state.man.networks) state.nets[name] = await tf.loadLayersModel(`model/${name}/model.json`);
  if (state.man.clusters) state.ref = await loadClusters();
  const { man, data, ref } = state;
  $('run').textContent = data.run;
  const fin = man.final ? ` Final clustering: ${man.final.rule}, accuracy ${man.final.acc.toFixed(3)}, NMI ${man.final.nmi.toFixed(3)}.` : '';
  const vote = ref ? ` New images go to a cluster by a ${ref.K}-nearest-neighbour vote over ${ref.n.toLocaleString('en-US')} training codes (${ref.labelSource} labels${data.reference.subsampled ? `, a stratified subsample of ${data.reference.of.toLocaleString('en-US')}` : ''}).` : '';
  $('about').textContent = `A ${man.mode} run on ${data.source}, ${data.clusters.length} clusters.${fin}${vote} Everything runs in this page (tfjs, cpu backend).`;
  $('prep').textContent = `preprocessing: ${man.preprocess.deskew ? 'deskewed (ink moments), ' : ''}pixels / ${man.preprocess.scale}`;
  setupDrawing();
  clearOutputs('draw something');
  // for scripts and tests: the page's own path from raw image bytes (rows×cols, 0..255) to its cluster
  window.uvheDemo = { assign: (bytes) => classify(Uint8Array.from(bytes)).vote };
  document.body.dataset.ready = '1';
}

main().catch(showError);
