// The what-if page: levers on the right, the answer on the left, refined as replications arrive (Server-Sent Events).
// Loads nothing from outside this server; sends only lever values and day D.
"use strict";

const token = document.querySelector('meta[name="evacsim-token"]').content;
const state = { levers: [], chosen: {}, byDay: 30, scenario: null, network: null, timer: null };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function fixed(x, digits) { return x === null || x === undefined ? "n/a" : Number(x).toFixed(digits); }
function pct(x) { return x === null || x === undefined ? "n/a" : (100 * x).toFixed(0) + "%"; }
function isShare(lever) { return lever.unit.startsWith("share"); }

function shown(lever, value) {
  if (isShare(lever)) return (100 * value).toFixed(1) + "%";
  const text = lever.integer ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
  return lever.action === "add" ? "+" + text : text;
}

function unitWords(lever) { return isShare(lever) ? "percent" : lever.unit; }

async function post(path, body) {
  const response = await fetch(path + "?token=" + encodeURIComponent(token), {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Evacsim-Token": token },
    body: JSON.stringify(body),
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function renderLevers() {
  const list = $("lever-list");
  list.replaceChildren();
  const titles = { decision: "Decisions", resource: "Resources to add", input: "Uncertain inputs that decide the date (ranked)" };
  let group = null;
  for (const lever of state.levers) {
    if (lever.group !== group) {
      group = lever.group;
      list.append(el("div", { class: "group" }, titles[group] || group));
    }
    const id = "lever-" + lever.path.replaceAll(".", "-");
    const input = el("input", { type: "range", id: id, min: lever.low, max: lever.high, step: lever.step, value: lever.start, "data-path": lever.path });
    const value = el("span", { class: "value", id: id + "-value" }, shown(lever, lever.start));
    const clear = el("button", { type: "button", title: "back to the scenario's value" }, "×");
    const rank = lever.rank ? `rank ${lever.rank} (rank correlation with the date ${fixed(lever.correlation, 2)}); ` : "";
    const range = `${shown(lever, lever.low)} to ${shown(lever, lever.high)} ${unitWords(lever)}`;
    const now = isShare(lever) ? lever.now.replace(/\d*\.?\d+/g, (x) => `${Number((100 * Number(x)).toPrecision(3))}%`) : lever.now;
    const box = el(
      "div", { class: "lever", id: id + "-box" },
      el("div", {}, el("span", { class: "name" }, lever.label), " ", el("span", { class: `kind ${lever.source_kind}`, title: lever.source_meaning }, lever.source_kind)),
      el("div", { class: "row" }, input, value, clear),
      el("div", { class: "dim" }, `${rank}range ${range}; in the scenario: ${now}`),
      el("div", { class: "path" }, lever.path),
    );
    input.addEventListener("input", () => {
      const v = Number(input.value);
      value.textContent = shown(lever, v);
      if (lever.action === "add" && v === 0) delete state.chosen[lever.path]; else state.chosen[lever.path] = v;
      box.classList.toggle("moved", lever.path in state.chosen);
      schedule();
    });
    clear.addEventListener("click", () => {
      input.value = lever.start;
      value.textContent = shown(lever, lever.start);
      delete state.chosen[lever.path];
      box.classList.remove("moved");
      schedule();
    });
    list.append(box);
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(send, 150);
}

async function send() {
  $("error").hidden = true;
  try {
    await post("/api/view", { levers: state.chosen, by_day: state.byDay });
  } catch (err) {
    $("error").textContent = err.message;
    $("error").hidden = false;
  }
}

function setNumber(id, text, value) {
  const node = $(id);
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
}

function render(a) {
  const c = a.changed || {};
  const u = a.unchanged || {};
  const moved = a.overrides.length > 0;
  setNumber("date-p50", c.p50_date || (c.replications ? "after the horizon" : "…"), c.p50_days);
  $("day-p50").textContent = c.p50_days !== undefined && c.p50_days !== null ? `(day ${fixed(c.p50_days, 1)} from the start)` : "";
  $("date-range").textContent = c.replications ? `${c.p10_date || "after the horizon"} to ${c.p90_date || "after the horizon"} (days ${fixed(c.p10_days, 1)}-${fixed(c.p90_days, 1)})` : "…";
  $("unchanged-line").textContent = moved && u.replications ? `Unchanged scenario: P50 ${u.p50_date || "after the horizon"} (day ${fixed(u.p50_days, 1)}), P(out by day ${fmtDay(a.by_day)}) ${pct(u.p_by_day.estimate)}` : (moved ? "" : "No lever moved: this is the scenario as written.");
  const diff = $("difference");
  const censored = moved && a.paired && a.paired.censored ? ` (${a.paired.censored} cut off at the ${state.scenario.horizon_days}-day horizon counted at it)` : "";
  diff.textContent = moved ? `${a.difference}, paired on the same ${a.replications} replications${censored}` : "";
  diff.classList.toggle("later", moved && a.paired && a.paired.days_sooner < 0);
  if (c.p_by_day) {
    setNumber("p-by-day", pct(c.p_by_day.estimate), c.p_by_day.estimate);
    $("p-by-day-ci").textContent = `(95% CI ${pct(c.p_by_day.ci_low)}-${pct(c.p_by_day.ci_high)})`;
    $("by-day-date").textContent = c.by_day_date ? `(${c.by_day_date})` : "";
    const p = a.paired;
    $("p-by-day-change").textContent = moved && p && p.p_by_day_points !== undefined
      ? `${p.p_by_day_points >= 0 ? "+" : ""}${fixed(p.p_by_day_points, 1)} points against the unchanged scenario (95% CI ${fixed(p.p_by_day_points_low, 1)} to ${fixed(p.p_by_day_points_high, 1)})` : "";
    const w = state.scenario.window_days;
    $("window-line").textContent = `The seed's window, ${w[0]}-${w[1]} days: ${pct(c.p_window.estimate)} inside (95% CI ${pct(c.p_window.ci_low)}-${pct(c.p_window.ci_high)}); a check on the report, not the measure of a plan.`;
  } else {
    setNumber("p-by-day", "…", null);
  }
  const status = $("status");
  status.dataset.replications = String(a.replications);
  status.dataset.refining = String(a.refining);
  status.dataset.overrides = a.overrides.join("\n");
  status.textContent = `${a.replications.toLocaleString("en")} of ${a.target.toLocaleString("en")} replications (${a.measure}, seed ${state.scenario.seed})` +
    (a.refining ? ` · refining, ${fixed(a.seconds, 1)} s since the change` : " · done") +
    (c.never ? ` · ${c.never} had not finished by the ${state.scenario.horizon_days}-day horizon: never out by day D` : "");
  if (a.error) { $("error").textContent = a.error; $("error").hidden = false; }
  drawHistogram(a.histogram, moved);
  if (a.bases) renderBases(a.bases);
}

function fmtDay(d) { return Number.isInteger(d) ? String(d) : fixed(d, 1); }

function drawHistogram(h, moved) {
  const svg = $("histogram");
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  if (!h || !h.edges.length) return;
  const counts = moved ? h.unchanged.concat(h.changed) : h.unchanged;
  const most = Math.max(1, ...counts);
  const bins = h.unchanged.length;
  const width = 560 / bins;
  const bar = (i, count, cls, offset) => {
    const r = document.createElementNS(ns, "rect");
    const height = 140 * count / most;
    r.setAttribute("x", 30 + i * width + offset);
    r.setAttribute("y", 150 - height);
    r.setAttribute("width", moved ? width / 2 - 1 : width - 1);
    r.setAttribute("height", height);
    r.setAttribute("fill", cls === "changed" ? "#2b6cb0" : "#a9b4c0");
    svg.append(r);
  };
  for (let i = 0; i < bins; i++) {
    bar(i, h.unchanged[i], "unchanged", 0);
    if (moved) bar(i, h.changed[i], "changed", width / 2);
  }
  for (const [k, x] of [[0, 30], [bins, 590]]) {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", x); t.setAttribute("y", 168); t.setAttribute("font-size", "11"); t.setAttribute("text-anchor", k ? "end" : "start");
    t.textContent = `day ${fixed(h.edges[k], 0)}`;
    svg.append(t);
  }
}

function drawMap(network, rows) {
  const svg = $("map");
  svg.replaceChildren();
  if (!network) return;
  const ns = "http://www.w3.org/2000/svg";
  const sites = Object.fromEntries(network.sites.map((s) => [s.name, s]));
  const lats = network.sites.map((s) => s.lat), lons = network.sites.map((s) => s.lon);
  const squeeze = Math.cos((Math.min(...lats) + Math.max(...lats)) / 2 * Math.PI / 180);
  const spanX = (Math.max(...lons) - Math.min(...lons)) * squeeze || 1, spanY = Math.max(...lats) - Math.min(...lats) || 1;
  const scale = Math.min(540 / spanX, 190 / spanY);
  const xy = (s) => [30 + (s.lon - Math.min(...lons)) * squeeze * scale, 205 - (s.lat - Math.min(...lats)) * scale];
  const add = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
  };
  for (const leg of network.legs) {
    const [x1, y1] = xy(sites[leg.from]), [x2, y2] = xy(sites[leg.to]);
    add("line", { x1, y1, x2, y2, stroke: "#c3ccd5", "stroke-width": 2 });
  }
  const number = Object.fromEntries(rows.map((r, i) => [r.base, i + 1]));
  for (const s of network.sites) {
    const [x, y] = xy(s);
    if (s.name in number) {
      add("circle", { cx: x, cy: y, r: 9, fill: "#2b6cb0" });
      add("text", { x, y: y + 4, "font-size": 11, "text-anchor": "middle", fill: "#fff" }, String(number[s.name]));
    } else {
      add("rect", { x: x - 5, y: y - 5, width: 10, height: 10, fill: s.kind === "crossing" ? "#a0522d" : "#5b6875" });
      add("text", { x: x + 8, y: y + (s.kind === "crossing" && s.lat > 37 ? -6 : 14), "font-size": 10, fill: "#5b6875" }, s.title);
    }
  }
}

function renderBases(rows) {
  $("bases").hidden = false;
  drawMap(state.network, rows);
  const body = $("bases-body");
  body.replaceChildren();
  for (const [i, r] of rows.entries()) {
    const dates = r.replications ? `${r.p50_date || "after the horizon"} (day ${fixed(r.p50_days, 1)})` : "does not move";
    const spread = r.replications ? `${fixed(r.p10_days, 1)}-${fixed(r.p90_days, 1)}` : "";
    body.append(el("tr", {}, el("td", {}, String(i + 1)), el("td", {}, r.title), el("td", {}, dates), el("td", {}, spread), el("td", {}, `${pct(r.share_leaving)} of replications`)));
  }
}

async function start() {
  const response = await fetch("/api/state?token=" + encodeURIComponent(token));
  const s = await response.json();
  state.scenario = s.scenario;
  state.levers = s.levers;
  state.network = s.network;
  state.byDay = s.by_day;
  $("title").textContent = s.scenario.title;
  $("subtitle").textContent = `${s.scenario.file} · starts ${s.scenario.start.slice(0, 10)} · ${s.scenario.executor}`;
  $("ranking").textContent = s.ranking;
  $("by-day").value = s.by_day;
  $("by-day").max = s.scenario.horizon_days;
  renderLevers();
  render(s.answer);
  $("by-day").addEventListener("change", () => {
    const d = Number($("by-day").value);
    if (d > 0) { state.byDay = d; schedule(); }
  });
  $("reset").addEventListener("click", () => { state.chosen = {}; renderLevers(); schedule(); });
  $("keep").addEventListener("click", async () => {
    $("kept").textContent = "keeping: running the replications again as `evacsim run` would, then the report…";
    try {
      const k = await post("/api/keep", {});
      $("kept").textContent = `Kept: scenario ${k.scenario}; results ${k.results}; report ${k.report}`;
    } catch (err) {
      $("kept").textContent = "Could not keep it: " + err.message;
    }
  });
  const events = new EventSource("/api/events?token=" + encodeURIComponent(token));
  events.onmessage = (e) => render(JSON.parse(e.data));
}

start();
