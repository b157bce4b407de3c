// The live page of a QOSST station: loads /api/frames, then follows
// /events (server-sent events). Charts are drawn as SVG by this file.
"use strict";
(function () {
  const MAX = 1000;       // frames kept in the page
  const CHART_MAX = 200;  // frames drawn per chart
  const TABLE_MAX = 25;   // rows of the table
  const SVGNS = "http://www.w3.org/2000/svg";
  let frames = [];        // ordered by seq
  const charts = [
    { field: "transmittance", fmt: (v) => v.toFixed(4) },
    { field: "excess_noise", fmt: (v) => v.toFixed(4) },
    { field: "beta", fmt: (v) => v.toFixed(3) },
    { field: "key_rate_bits_per_second", fmt: rate },
    { field: "key_bits", fmt: (v) => String(v) },
  ];

  function rate(v) {
    if (v >= 1e6) return (v / 1e6).toFixed(2) + " Mbit/s";
    if (v >= 1e3) return (v / 1e3).toFixed(2) + " kbit/s";
    return v.toFixed(0) + " bit/s";
  }
  function short(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return Number(v.toPrecision(4)).toString();
  }
  function el(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function add(f) {
    if (frames.length && frames[frames.length - 1].seq >= f.seq) {
      if (frames.some((g) => g.seq === f.seq)) return;
      frames.push(f);
      frames.sort((a, b) => a.seq - b.seq);
    } else {
      frames.push(f);
    }
    if (frames.length > MAX) frames = frames.slice(frames.length - MAX);
  }

  function drawChart(c) {
    const svg = document.getElementById("chart-" + c.field);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const pts = frames.slice(-CHART_MAX).filter((f) => f[c.field] !== null && f[c.field] !== undefined)
      .map((f) => ({ seq: f.seq, v: f[c.field], ok: f.outcome === "completed" }));
    svg.setAttribute("data-count", String(pts.length));
    const W = 480, H = 200, L = 58, R = 10, T = 10, B = 24;
    if (pts.length === 0) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "no frame yet"));
      return;
    }
    let lo = Math.min(...pts.map((p) => p.v)), hi = Math.max(...pts.map((p) => p.v));
    if (lo === hi) { const d = Math.abs(lo) * 0.05 || 1; lo -= d; hi += d; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const x0 = pts[0].seq, x1 = Math.max(pts[pts.length - 1].seq, x0 + 1);
    const X = (s) => L + (W - L - R) * (s - x0) / (x1 - x0);
    const Y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    for (let i = 0; i <= 3; i++) {
      const v = lo + (hi - lo) * i / 3, y = Y(v);
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y, y2: y, class: "grid" }));
      svg.appendChild(el("text", { x: L - 6, y: y + 3, "text-anchor": "end", class: "axis" }, short(v)));
    }
    svg.appendChild(el("text", { x: L, y: H - 6, class: "axis" }, "#" + x0));
    svg.appendChild(el("text", { x: W - R, y: H - 6, "text-anchor": "end", class: "axis" }, "#" + pts[pts.length - 1].seq));
    svg.appendChild(el("polyline", { class: "line", points: pts.map((p) => X(p.seq).toFixed(1) + "," + Y(p.v).toFixed(1)).join(" ") }));
    for (const p of pts) {
      const dot = el("circle", { cx: X(p.seq).toFixed(1), cy: Y(p.v).toFixed(1), r: pts.length > 60 ? 1.8 : 3,
        class: p.ok ? "pt" : "pt bad", "data-seq": p.seq, "data-value": String(p.v) });
      dot.appendChild(el("title", {}, "#" + p.seq + ": " + c.fmt(p.v)));
      svg.appendChild(dot);
    }
  }

  function cell(tr, field, value, text, cls) {
    const td = document.createElement("td");
    td.dataset.field = field;
    if (value !== null && value !== undefined) td.dataset.value = String(value);
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  const opt = (v, f) => (v === null || v === undefined ? "–" : f(v));

  function drawTable() {
    const body = document.querySelector("#frames tbody");
    body.textContent = "";
    for (const f of frames.slice(-TABLE_MAX).reverse()) {
      const tr = document.createElement("tr");
      tr.dataset.seq = String(f.seq);
      cell(tr, "seq", f.seq, String(f.seq));
      cell(tr, "end", f.end, new Date(f.end).toLocaleTimeString());
      const id = cell(tr, "frame", f.frame, f.frame.slice(0, 8), "l");
      id.title = f.frame;
      const oc = cell(tr, "outcome", f.outcome, "", "l");
      const b = document.createElement("span");
      b.className = "badge " + f.outcome;
      b.textContent = f.outcome;
      if (f.reason) b.title = f.reason;
      oc.appendChild(b);
      cell(tr, "transmittance", f.transmittance, opt(f.transmittance, (v) => v.toFixed(4)));
      cell(tr, "excess_noise", f.excess_noise, opt(f.excess_noise, (v) => v.toFixed(4)));
      cell(tr, "electronic_noise", f.electronic_noise, opt(f.electronic_noise, (v) => v.toFixed(4)));
      cell(tr, "beta", f.beta, opt(f.beta, (v) => v.toFixed(3)));
      cell(tr, "key_rate_bits_per_second", f.key_rate_bits_per_second, opt(f.key_rate_bits_per_second, rate));
      cell(tr, "key_bits", f.key_bits, String(f.key_bits));
      cell(tr, "ec_frame_error_rate", f.ec_frame_error_rate, opt(f.ec_frame_error_rate, (v) => v.toFixed(3)));
      cell(tr, "total_seconds", f.total_seconds, f.total_seconds.toFixed(3) + " s");
      body.appendChild(tr);
    }
  }

  function drawTiles() {
    const done = frames.filter((f) => f.outcome === "completed");
    document.getElementById("tile-frames").textContent = String(frames.length);
    document.getElementById("tile-frames-sub").textContent = done.length + " completed";
    document.getElementById("tile-keybits").textContent = done.reduce((s, f) => s + f.key_bits, 0).toLocaleString("en");
    const last = (k) => { for (let i = frames.length - 1; i >= 0; i--) if (frames[i][k] != null) return frames[i][k]; return null; };
    document.getElementById("tile-t").textContent = opt(last("transmittance"), (v) => v.toFixed(4));
    document.getElementById("tile-xi").textContent = opt(last("excess_noise"), (v) => v.toFixed(4));
    document.getElementById("tile-rate").textContent = opt(last("key_rate_bits_per_second"), rate);
  }

  let pending = false;
  function render() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      charts.forEach(drawChart);
      drawTable();
      drawTiles();
      document.body.dataset.frames = String(frames.length);
    });
  }

  function progress(p) {
    const text = document.getElementById("progress-text");
    const bar = document.getElementById("progress-bar");
    let s = (p.frame ? "frame " + p.frame.slice(0, 8) + " · " : "") + p.phase;
    if (p.total > 0) s += " " + p.done + "/" + p.total;
    text.textContent = s;
    bar.style.width = (p.total > 0 ? (100 * p.done / p.total) : 0) + "%";
  }

  async function load() {
    const r = await fetch("api/frames", { cache: "no-store" });
    const body = await r.json();
    document.getElementById("station").textContent = body.station || "station";
    for (const f of body.frames) add(f);
    render();
  }

  function follow() {
    const es = new EventSource("events");
    const conn = document.getElementById("conn");
    es.onopen = () => { conn.className = "conn up"; conn.textContent = "live"; load().catch(() => {}); };
    es.onerror = () => { conn.className = "conn down"; conn.textContent = "reconnecting"; };
    es.addEventListener("frame", (e) => {
      const f = JSON.parse(e.data);
      add(f);
      render();
      document.getElementById("progress-text").textContent = "frame " + f.frame.slice(0, 8) + " " + f.outcome;
      document.getElementById("progress-bar").style.width = "100%";
    });
    es.addEventListener("progress", (e) => progress(JSON.parse(e.data)));
  }

  load().catch(() => {}).finally(follow);
})();
