/* Trend chart in SVG (no library): points joined by a line, treatments as dashed lines,
   a tooltip on hover or keyboard focus. */
"use strict";
(function () {
  const holder = document.getElementById("trend-chart");
  const select = document.getElementById("trend-index");
  if (!holder || !select) return;
  const NS = "http://www.w3.org/2000/svg";
  const W = 720, H = 300, M = {l: 56, r: 16, t: 16, b: 40};

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function draw(data) {
    holder.textContent = "";
    if (!data.points.length) { holder.textContent = "No values of " + data.label + " yet."; return; }
    const days = data.points.map((p) => Date.parse(p.day)).concat(data.treatments.map((t) => Date.parse(t.day)));
    let x0 = Math.min(...days), x1 = Math.max(...days);
    if (x1 === x0) { x0 -= 86400000 * 15; x1 += 86400000 * 15; }
    const values = data.points.map((p) => p.value).concat(
      ...data.points.filter((p) => p.interval).map((p) => p.interval));
    let y0 = Math.min(...values), y1 = Math.max(...values);
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.1; y0 -= pad; y1 += pad;
    const sx = (d) => M.l + (W - M.l - M.r) * (d - x0) / (x1 - x0);
    const sy = (v) => H - M.b - (H - M.t - M.b) * (v - y0) / (y1 - y0);
    const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, class: "trend", role: "img",
                           "aria-label": data.label + " over time"}, holder);
    el("line", {x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b, class: "axis"}, svg);
    el("line", {x1: M.l, y1: M.t, x2: M.l, y2: H - M.b, class: "axis"}, svg);
    for (let i = 0; i <= 4; i++) {
      const v = y0 + (y1 - y0) * i / 4;
      el("text", {x: M.l - 6, y: sy(v) + 4, class: "tick", "text-anchor": "end"}, svg).textContent = v.toFixed(1);
    }
    [x0, x1].forEach((d, i) => {
      el("text", {x: sx(d), y: H - M.b + 16, class: "tick", "text-anchor": i ? "end" : "start"}, svg)
        .textContent = new Date(d).toISOString().slice(0, 10);
    });
    el("text", {x: M.l, y: H - 6, class: "axis-label"}, svg).textContent =
      data.label + (data.unit ? " (" + data.unit + ")" : "") +
      (data.higher_is_better === true ? " · higher is better" : data.higher_is_better === false ? " · lower is better" : "");
    data.treatments.forEach((t) => {
      const x = sx(Date.parse(t.day));
      el("line", {x1: x, y1: M.t, x2: x, y2: H - M.b, class: "treatment"}, svg);
      el("text", {x: x + 3, y: M.t + 10, class: "treatment-label"}, svg).textContent = t.title;
    });
    const path = data.points.map((p, i) => (i ? "L" : "M") + sx(Date.parse(p.day)).toFixed(1) + "," + sy(p.value).toFixed(1)).join(" ");
    el("path", {d: path, class: "series"}, svg);
    const tip = el("text", {x: M.l + 8, y: M.t + 28, class: "tooltip"}, svg);
    data.points.forEach((p) => {
      if (p.interval) {  // the interval the record stored with the value
        const x = sx(Date.parse(p.day));
        el("line", {x1: x, y1: sy(p.interval[0]), x2: x, y2: sy(p.interval[1]), class: "interval"}, svg);
      }
      const dot = el("circle", {cx: sx(Date.parse(p.day)), cy: sy(p.value), r: 5, class: "point", tabindex: 0}, svg);
      const bounds = p.interval ? " (" + (p.level ? Math.round(p.level * 100) + " % " : "") +
        (+p.interval[0].toFixed(2)) + ".." + (+p.interval[1].toFixed(2)) + ")" : "";
      const text = p.day + ": " + (+p.value.toFixed(2)) + bounds + (data.unit ? " " + data.unit : "") + (p.detail ? " · " + p.detail : "");
      el("title", {}, dot).textContent = text;
      const show = () => { tip.textContent = text; };
      dot.addEventListener("mouseenter", show);
      dot.addEventListener("focus", show);
    });
    holder.dataset.points = String(data.points.length);
  }

  async function load() {
    const response = await fetch(holder.dataset.url + "?index=" + encodeURIComponent(select.value),
                                 {headers: {Accept: "application/json"}});
    const data = await response.json();
    if (!response.ok) { holder.textContent = data.detail || "could not load the trend"; return; }
    draw(data);
  }
  select.addEventListener("change", load);
  load();
})();
