// Draws the intervals embedded in #timeline-data on a time axis in SVG:
// one lane group per source, one lane per locator, in the order the Go
// side sorted them. It runs once on load and again when the width changes.
(() => {
  "use strict";
  const began = performance.now();
  const data = JSON.parse(document.getElementById("timeline-data").textContent);
  const root = document.getElementById("timeline");
  const chart = document.getElementById("chart");
  const details = document.getElementById("details");
  const RANK = { info: 0, warning: 1, error: 2 };
  const ROW = 18, BAR = 12, GROUP = 24, AXIS = 40, RIGHT = 28, CHAR = 6.95, BLOCK = 40;
  const STEPS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const startMs = data.start ? Date.parse(data.start) : 0;

  // esc makes s safe as HTML text or as a double-quoted attribute value.
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
  function esc(s) {
    s = String(s);
    return /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ESC[c]) : s;
  }

  // el is the markup of one element. The chart is built as one string and
  // parsed once: for thousands of intervals that is several times faster
  // than creating the elements one by one.
  function el(name, attrs, inner) {
    let s = "<" + name;
    for (const k in attrs) s += " " + k + '="' + esc(attrs[k]) + '"';
    return s + ">" + (inner || "") + "</" + name + ">";
  }

  // duration is seconds as "350ms", "1.25s", "2m3.5s" or "1h2m".
  function duration(s) {
    if (s === 0) return "instant";
    if (s < 1) return +(s * 1000).toPrecision(3) + "ms";
    if (s < 60) return +s.toFixed(3) + "s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = +(s % 60).toFixed(3);
    return (h ? h + "h" : "") + m + "m" + (r ? r + "s" : "");
  }

  // tick is an axis label for s seconds with ticks step seconds apart.
  function tick(s, step) {
    if (step < 1) return "+" + s.toFixed(step < 0.01 ? 3 : step < 0.1 ? 2 : 1) + "s";
    s = Math.round(s);
    if (s < 60) return "+" + s + "s";
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) return "+" + h + "h" + (m ? m + "m" : "");
    return "+" + m + "m" + (r ? r + "s" : "");
  }

  // wall is the UTC wall-clock time s seconds after the start.
  // It is arithmetic rather than a Date: it runs twice per interval.
  function wall(s, millis) {
    const ms = Math.floor(startMs + s * 1000 + 1e-6) % 86400000;
    const two = (n) => (n < 10 ? "0" : "") + n;
    const hms = two(Math.floor(ms / 3600000)) + ":" + two(Math.floor(ms / 60000) % 60) + ":" + two(Math.floor(ms / 1000) % 60);
    return millis ? hms + "." + String(ms % 1000).padStart(3, "0") : hms;
  }

  // shorten keeps the start and the more specific end of a long locator.
  function shorten(s, n) {
    if (s.length <= n) return s;
    const head = Math.ceil((n - 1) / 3);
    return s.slice(0, head) + "…" + s.slice(s.length - (n - 1 - head));
  }

  function tip(l, iv) {
    const at = (s) => "+" + +s.toFixed(3) + "s  " + wall(s, true) + " UTC";
    return iv.level + " · " + l.source + "\n" + (l.locator || "(no locator)") +
      "\nfrom " + at(iv.offset) + "\nto   " + at(iv.offset + iv.duration) +
      "\nfor  " + duration(iv.duration) + (iv.message ? "\n\n" + iv.message : "");
  }

  function groups() {
    const out = [];
    data.lanes.forEach((l) => {
      let g = out[out.length - 1];
      if (!g || g.source !== l.source) out.push(g = { source: l.source, lanes: [], error: 0, warning: 0, info: 0, errorFor: 0 });
      g.lanes.push(l);
      l.intervals.forEach((iv) => {
        g[iv.level]++;
        if (iv.level === "error") g.errorFor += iv.duration;
      });
    });
    return out;
  }

  function axis(width, x, span, step, labelW) {
    let out = el("text", { class: "start-label", x: 12, y: 16 }, esc("start " + wall(0, true) + " UTC")) +
      el("text", { x: 12, y: 31 }, esc(new Date(startMs).toISOString().slice(0, 10) + " · source / locator"));
    const n = Math.floor(span / step + 1e-9);
    for (let i = 0; i <= n; i++) {
      const s = i * step, px = x(s).toFixed(1);
      const anchor = px - labelW < 24 ? "start" : width - px < 40 ? "end" : "middle";
      out += el("line", { x1: px, x2: px, y1: AXIS - 5, y2: AXIS, stroke: "#8c959f" }) +
        el("text", { class: "tick-label", x: px, y: 16, "text-anchor": anchor }, tick(s, step)) +
        el("text", { x: px, y: 31, "text-anchor": anchor }, wall(s, step < 1));
    }
    return el("div", { class: "axis-wrap" }, el("svg", { class: "axis", width, height: AXIS }, out));
  }

  // bar is the markup of one interval; laneAttrs are the escaped
  // data-source and data-locator of its lane. This is the hot loop of a
  // large timeline, so it concatenates rather than calling el.
  function bar(l, laneAttrs, iv, x, scale) {
    const a = laneAttrs + ' data-level="' + iv.level + '" data-from="' + esc(iv.from) + '" data-to="' + esc(iv.to) + '"';
    const title = "<title>" + esc(tip(l, iv)) + "</title>";
    const px = x(iv.offset);
    if (iv.duration === 0) {
      return '<path class="iv instant level-' + iv.level + '"' + a + ' d="M' + px.toFixed(1) + " 4V" + (ROW - 2) +
        "M" + (px - 3.5).toFixed(1) + ' 1h7l-3.5 4.5z">' + title + "</path>";
    }
    return '<rect class="iv level-' + iv.level + '"' + a + ' x="' + px.toFixed(1) + '" y="' + (ROW - BAR) / 2 +
      '" rx="1.5" height="' + BAR + '" width="' + Math.max(2, iv.duration * scale).toFixed(1) + '">' + title + "</rect>";
  }

  // lanes is the markup of the lanes in blocks of about BLOCK lanes, one SVG
  // each, and the height of each block. The page lays out and paints only
  // the blocks on screen (content-visibility), so a timeline of thousands
  // of lanes opens as fast as a short one.
  function lanes(width, x, scale, span, step, labelW, gs) {
    const maxChars = Math.max(8, Math.floor((labelW - 24) / CHAR));
    const ticks = [];
    for (let i = 0, n = Math.floor(span / step + 1e-9); i <= n; i++) ticks.push(x(i * step).toFixed(1));
    // Disruption errors are shaded across every lane, to line them up with
    // what else happened then; overlapping ones are shaded once.
    const errs = [];
    for (const l of data.lanes) {
      if (l.source !== "disruption") break;
      for (const iv of l.intervals) if (iv.level === "error" && iv.duration > 0) errs.push([iv.offset, iv.offset + iv.duration]);
    }
    errs.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const [from, to] of errs) {
      const last = merged[merged.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    const outages = merged.map(([from, to]) => [x(from).toFixed(1), Math.max(2, (to - from) * scale).toFixed(1)]);
    const background = (h) => el("g", { class: "grid" },
      ticks.map((px) => el("line", { x1: px, x2: px, y1: 0, y2: h })).join("") +
      el("line", { class: "divider", x1: labelW, x2: labelW, y1: 0, y2: h }) +
      outages.map(([ox, ow]) => el("rect", { class: "outage", x: ox, y: 0, height: h, width: ow })).join(""));

    const blocks = [], heights = [];
    let rows = [], y = 0, inBlock = 0, index = 0, drawn = 0;
    const flush = () => {
      if (!rows.length) return;
      blocks.push(el("div", { class: "block" }, el("svg", { class: "lanes", width, height: y }, background(y) + rows.join(""))));
      heights.push(y);
      rows = [];
      y = inBlock = 0;
    };
    for (const g of gs) {
      if (inBlock >= BLOCK) flush();
      const sum = [g.lanes.length + (g.lanes.length === 1 ? " lane" : " lanes")];
      if (g.error) sum.push(g.error + " error" + (g.errorFor ? " (" + duration(g.errorFor) + " in all)" : ""));
      for (const lv of ["warning", "info"]) if (g[lv]) sum.push(g[lv] + " " + lv);
      rows.push(el("g", { class: "group" + (g.source === "disruption" ? " disruption" : ""), "data-source": g.source,
        transform: "translate(0," + y + ")" },
      el("rect", { class: "group-bg", x: 0, y: 0, width, height: GROUP }) +
        el("text", { class: "group-label", x: 10, y: 16 },
          esc(g.source) + el("tspan", { class: "group-counts", dx: 10 }, sum.join(" · ")))));
      y += GROUP;
      g.lanes.forEach((l, i) => {
        if (inBlock++ >= BLOCK) {
          flush();
          inBlock = 1;
        }
        const laneAttrs = ' data-source="' + esc(l.source) + '" data-locator="' + esc(l.locator) + '"';
        const worst = l.intervals.reduce((r, iv) => Math.max(r, RANK[iv.level]), 0);
        // Errors are drawn last so that they are on top of what they overlap,
        // and instant events after the spans of their level.
        const order = (iv) => RANK[iv.level] * 2 + (iv.duration === 0 ? 1 : 0);
        const ivs = l.intervals.slice().sort((a, b) => order(a) - order(b));
        rows.push(el("g", { class: "lane" + (i % 2 ? " odd" : ""), "data-source": l.source,
          "data-locator": l.locator, "data-lane": index++, transform: "translate(0," + y + ")" },
        el("rect", { class: "lane-bg", x: 0, y: 0, width, height: ROW }) +
          el("text", { class: "lane-label" + (worst === 2 ? " has-error" : ""), x: 18, y: 13 },
            esc(shorten(l.locator || "(no locator)", maxChars)) + el("title", {}, esc(l.locator))) +
          ivs.map((iv) => bar(l, laneAttrs, iv, x, scale)).join("")));
        drawn += ivs.length;
        y += ROW;
      });
    }
    flush();
    return [blocks.join(""), heights, drawn];
  }

  let lastWidth = 0, selected = null;
  function render() {
    const width = Math.max(640, Math.floor(chart.clientWidth || document.documentElement.clientWidth));
    if (!data.lanes.length || width === lastWidth) return;
    lastWidth = width;
    const labelW = Math.round(Math.min(440, Math.max(220, width * 0.3)));
    const x0 = labelW + 12, x1 = width - RIGHT;
    const span = data.span > 0 ? data.span : 1;
    const scale = (x1 - x0) / span;
    const x = (s) => x0 + s * scale;
    const want = Math.max(2, (x1 - x0) / 110);
    const step = STEPS.find((v) => span / v <= want) || Math.ceil(span / want / 86400) * 86400;
    const [blocks, heights, drawn] = lanes(width, x, scale, span, step, labelW, groups());
    chart.innerHTML = axis(width, x, span, step, labelW) + blocks;
    // Off-screen blocks keep their exact height, so the scrollbar is right.
    chart.querySelectorAll(".block").forEach((b, i) => { b.style.containIntrinsicSize = "auto " + heights[i] + "px"; });
    selected = null;
    root.dataset.drawn = drawn;
  }

  chart.addEventListener("click", (ev) => {
    const t = ev.target.closest(".iv");
    if (!t) return;
    if (selected) selected.classList.remove("selected");
    selected = t;
    t.classList.add("selected");
    details.textContent = t.querySelector("title").textContent;
    details.hidden = false;
  });
  details.addEventListener("click", () => { details.hidden = true; });
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") details.hidden = true; });
  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(render, 150);
  });

  render();
  // The chart is drawn: fold away the table that stood in for it.
  if (data.lanes.length) document.getElementById("table").open = false;
  root.dataset.renderMs = (performance.now() - began).toFixed(1);
})();
