// The report page's own style and script (plain ES5, inlined): one uPlot per chart spec with a live legend and
// synced cursors, and one canvas per cluster map (points coloured by a chosen clustering, hover with the example's
// image from the sprite sheet, a legend that picks out one cluster).
export const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 24px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.note { color: #555; font-size: 12.5px; } .warn { color: #b33; } .path { font-family: ui-monospace, monospace; font-size: 11.5px; color: #555; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }
thead th { background: #f3f3f6; text-align: center; white-space: normal; min-width: 48px; } td.text { text-align: left; }
.scroll { overflow-x: auto; max-width: 100%; } tbody th, tfoot th { text-align: left; } caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.confusion td { min-width: 38px; } table.confusion tfoot td.warn { background: #fbe3e3; font-weight: 600; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px 22px; }
.chart h3 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 6px 0; max-width: 100%; } figure img { image-rendering: pixelated; max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #444; max-width: 560px; }
details { margin: 6px 0; } summary { cursor: pointer; font-weight: 600; } pre { font-size: 11.5px; background: #f7f7f9; padding: 8px; overflow-x: auto; }
.u-legend { font-size: 11.5px; text-align: left; } .u-legend .u-series > * { padding: 1px 3px; }
.map-controls { display: flex; flex-wrap: wrap; gap: 6px 24px; font-size: 13px; margin: 4px 0; } .map-controls label { margin-right: 8px; cursor: pointer; }
.map-body { position: relative; display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.map-canvas { border: 1px solid #ddd; width: 640px; height: 640px; max-width: 100%; cursor: crosshair; }
.map-legend { font-size: 12px; columns: 2; column-gap: 18px; max-width: 560px; } .map-legend div { cursor: pointer; padding: 1px 0; break-inside: avoid; }
.map-legend div.off { opacity: 0.35; }
.map-tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #999; border-radius: 4px; padding: 6px; font-size: 12px;
  box-shadow: 0 2px 8px rgba(0,0,0,.2); display: flex; gap: 8px; align-items: center; z-index: 5; }
.map-tip[hidden] { display: none; } .map-tip canvas { image-rendering: pixelated; background: #000; }
.cs-rows { display: flex; flex-direction: column; gap: 2px; } .cs-row { display: flex; align-items: center; gap: 10px; }
.cs-label { font-size: 12px; width: 150px; flex: none; line-height: 1.3; } .cs-img { flex: none; image-rendering: pixelated; background-repeat: no-repeat; }
`;

/** Charts: one uPlot per spec in data.charts. */
const CHARTS = `
function fmt(v) {
  if (v == null || !isFinite(v)) return '–';
  var a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : +v.toPrecision(5) + '';
}
var plots = [];
data.charts.forEach(function (c) {
  var host = document.getElementById('chart-' + c.id);
  var width = Math.max(360, host.clientWidth || 560);
  var series = [{ label: c.xLabel, value: function (u, v) { return v == null ? '–' : v; } }];
  c.series.forEach(function (s) {
    series.push({ label: s.label, stroke: s.color, dash: s.dash, width: 1.6, spanGaps: true,
      points: { size: 5 }, value: function (u, v) { return fmt(v); } });
  });
  var opts = {
    width: width, height: 300,
    cursor: { sync: { key: c.xLabel }, points: { size: 7 } },
    scales: { x: { time: false }, y: c.log ? { distr: 3 } : {} },
    axes: [
      { label: c.xLabel, values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? t : ''; }); } },
      { label: c.yLabel, size: 64, values: function (u, ticks) { return ticks.map(fmt); } }
    ],
    legend: { live: true },
    series: series,
    // before any hover, the legend shows the last epoch's values
    hooks: { ready: [function (u) { u.setLegend({ idx: u.data[0].length - 1 }); }] }
  };
  var plot = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), host);
  plots.push({ plot: plot, host: host });
});
var resizeTimer = null;
window.addEventListener('resize', function () {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(function () { plots.forEach(function (p) { p.plot.setSize({ width: Math.max(360, p.host.clientWidth), height: 300 }); }); }, 150);
});
document.body.setAttribute('data-charts-rendered', String(plots.length));
`;

/** Maps: a canvas per entry of data.maps (CSS size 640×640, drawn at the device pixel ratio). */
const MAPS = `
function setupMap(d) {
  var root = document.getElementById(d.id), cv = root.querySelector('.map-canvas'), ctx = cv.getContext('2d');
  var legend = root.querySelector('.map-legend'), tip = root.querySelector('.map-tip');
  var tipCv = tip.querySelector('canvas'), tipCtx = tipCv.getContext('2d'), tipText = tip.querySelector('.map-tip-text');
  var S = 640, PAD = 14, R = 2.6, dpr = window.devicePixelRatio || 1, m = d.index.length;
  cv.width = S * dpr; cv.height = S * dpr;
  var sprite = null;
  if (d.thumbs) { sprite = new Image(); sprite.src = d.thumbs.uri; }
  var st = { colour: d.colourings[0], layout: d.layouts[0], focus: -1 }, px = new Float64Array(m), py = new Float64Array(m);
  function draw() {
    var L = st.layout, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, i;
    for (i = 0; i < m; i++) { x0 = Math.min(x0, L.x[i]); x1 = Math.max(x1, L.x[i]); y0 = Math.min(y0, L.y[i]); y1 = Math.max(y1, L.y[i]); }
    // one scale for both axes: the layout's shape is kept
    var s = (S - 2 * PAD) / Math.max(x1 - x0, y1 - y0, 1e-12), ox = (S - s * (x1 - x0)) / 2, oy = (S - s * (y1 - y0)) / 2;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, S, S);
    var C = st.colour;
    for (var pass = 0; pass < 2; pass++) {
      for (i = 0; i < m; i++) {
        px[i] = ox + s * (L.x[i] - x0); py[i] = S - (oy + s * (L.y[i] - y0));
        var on = st.focus < 0 || C.values[i] === st.focus;
        if (on !== (pass === 1)) continue; // picked-out points are drawn last, on top
        ctx.globalAlpha = on ? 0.8 : 0.08;
        ctx.fillStyle = C.colours[C.values[i]] || '#888';
        ctx.beginPath(); ctx.arc(px[i], py[i], R, 0, 2 * Math.PI); ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    root.setAttribute('data-colour', C.key); root.setAttribute('data-layout', L.key);
  }
  function drawLegend() {
    var C = st.colour, counts = C.names.map(function () { return 0; });
    C.values.forEach(function (v) { counts[v]++; });
    legend.innerHTML = '';
    C.names.forEach(function (name, c) {
      var el = document.createElement('div');
      el.className = st.focus >= 0 && st.focus !== c ? 'off' : '';
      var sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = C.colours[c];
      el.appendChild(sw); el.appendChild(document.createTextNode(name + ': ' + counts[c]));
      el.addEventListener('click', function () { st.focus = st.focus === c ? -1 : c; draw(); drawLegend(); });
      legend.appendChild(el);
    });
  }
  function pick(kind, key) {
    var list = kind === 'colour' ? d.colourings : d.layouts;
    for (var i = 0; i < list.length; i++) if (list[i].key === key) return list[i];
    return list[0];
  }
  root.querySelectorAll('input[type=radio]').forEach(function (el) {
    el.addEventListener('change', function () {
      var kind = el.name.slice(d.id.length + 1);
      st[kind] = pick(kind, el.value);
      if (kind === 'colour') st.focus = -1;
      draw(); drawLegend();
    });
  });
  cv.addEventListener('mousemove', function (ev) {
    var r = cv.getBoundingClientRect(), mx = (ev.clientX - r.left) * S / r.width, my = (ev.clientY - r.top) * S / r.height;
    var best = -1, bd = 64;
    for (var i = 0; i < m; i++) { var dx = px[i] - mx, dy = py[i] - my, dd = dx * dx + dy * dy; if (dd < bd) { bd = dd; best = i; } }
    if (best < 0) { tip.hidden = true; return; }
    var lines = ['example #' + d.index[best]];
    d.colourings.forEach(function (c) { lines.push(c.name.split(' (')[0] + ': ' + c.names[c.values[best]]); });
    tipText.innerHTML = '';
    lines.forEach(function (t, j) { var el = document.createElement(j ? 'div' : 'b'); el.textContent = t; tipText.appendChild(el); if (!j) tipText.appendChild(document.createElement('br')); });
    tipCv.hidden = !sprite;
    if (sprite && sprite.complete) {
      var T = d.thumbs;
      tipCtx.imageSmoothingEnabled = false;
      tipCtx.drawImage(sprite, (best % T.cols) * T.w, Math.floor(best / T.cols) * T.h, T.w, T.h, 0, 0, tipCv.width, tipCv.height);
    }
    var body = cv.parentNode.getBoundingClientRect();
    tip.style.left = (ev.clientX - body.left + 14) + 'px'; tip.style.top = (ev.clientY - body.top + 14) + 'px';
    tip.hidden = false;
  });
  cv.addEventListener('mouseleave', function () { tip.hidden = true; });
  draw(); drawLegend();
}
data.maps.forEach(setupMap);
document.body.setAttribute('data-maps-rendered', String(data.maps.length));
`;

export const APP = `(function () {
var data = JSON.parse(document.getElementById('report-data').textContent);
${CHARTS}
${MAPS}
})();
`;
