// Aduan's public dashboard: reads /v1/public/* of this service only and draws every panel.
// Charts are Chart.js (served by this service); the kelurahan map is SVG drawn from the polygons
// of /v1/public/by-kelurahan (no tiles). Text from the API only ever goes into textContent.
(() => {
  "use strict";

  const API = "/v1/public";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const UNITS = 10000; // projected units per degree (keeps path numbers short)
  const UNIT_ROWS = 10; // unit ranking rows shown before "show all"
  const COLORS = { received: "#0b5cab", done: "#1b7a3d", bar: "#0b5cab", grid: "#e3e7ec" };

  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat("id-ID");
  const nf1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
  const dayFmt = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "short", timeZone: "UTC" });
  const longDayFmt = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  const state = {
    generation: 0,
    loads: 0,
    charts: {},
    map: null, // {lon0, lat0, k, paths: Map(kode -> path), full: box}
    kotaNames: new Map(),
    unitsExpanded: false,
    units: [],
  };

  // ---- small helpers ----
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = el(cell.th ? "th" : "td", cell.th ? { scope: "row" } : {}, cell.text);
      td.className = [cell.num ? "num" : "", cell.cls || ""].join(" ").trim();
      if (!td.className) td.removeAttribute("class");
      if (cell.key) td.dataset.key = cell.key;
      tr.appendChild(td);
    }
    return tr;
  }

  const pct = (share) => `${nf1.format(share)}%`;
  const day = (iso) => dayFmt.format(new Date(`${iso}T00:00:00Z`));
  const longDay = (iso) => longDayFmt.format(new Date(`${iso}T00:00:00Z`));

  function hours(h) {
    if (h === null || h === undefined) return "belum ada";
    if (h * 60 < 1) return "kurang dari 1 menit";
    if (h < 1) return `${nf.format(Math.round(h * 60))} menit`;
    const text = `${nf1.format(h)} jam`;
    return h >= 48 ? `${text} (± ${nf1.format(h / 24)} hari)` : text;
  }

  // ---- filters ----
  const form = $("filters");
  const fields = { from: $("f-from"), to: $("f-to"), kota: $("f-kota"), category: $("f-category") };

  function currentFilters() {
    const out = {};
    for (const [key, input] of Object.entries(fields)) if (input.value) out[key] = input.value;
    return out;
  }

  const query = (filters) => {
    const qs = new URLSearchParams(filters).toString();
    return qs ? `?${qs}` : "";
  };

  const MAX_TREND_DAYS = 366; // the API's limit for one time series

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function addDays(iso, days) {
    const d = new Date(`${iso}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return isoDay(d);
  }

  function today() {
    const d = new Date();
    return isoDay(new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate())));
  }

  function filterProblem(f) {
    if (f.from && f.to && f.from > f.to) return "Tanggal awal tidak boleh setelah tanggal akhir.";
    if (f.from && !f.to && f.from > today()) return "Tanggal awal tidak boleh setelah hari ini.";
    return "";
  }

  // The trend covers at most MAX_TREND_DAYS: the last ones of a longer range.
  function trendFilters(f) {
    if (!f.from) return f;
    const to = f.to || today();
    const earliest = addDays(to, 1 - MAX_TREND_DAYS);
    return { ...f, from: f.from < earliest ? earliest : f.from, to };
  }

  async function loadFilterChoices(initial) {
    const data = await fetchJSON(`${API}/filters`);
    for (const kota of data.kota || []) {
      state.kotaNames.set(kota.kode, kota.name);
      fields.kota.appendChild(el("option", { value: kota.kode }, kota.name));
    }
    for (const name of data.categories || []) fields.category.appendChild(el("option", { value: name }, name));
    for (const [key, input] of Object.entries(fields)) if (initial[key]) input.value = initial[key];
  }

  // ---- fetching ----
  class ApiError extends Error {}

  async function fetchJSON(url) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (err) {
      throw new ApiError("server tidak dapat dihubungi (periksa koneksi internet Anda)");
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const detail = body && typeof body.detail === "string" ? `: ${body.detail}` : "";
      throw new ApiError(`server menjawab ${response.status}${detail}`);
    }
    try {
      return await response.json();
    } catch (err) {
      throw new ApiError("jawaban server tidak dapat dibaca");
    }
  }

  function setStatus(kind, text) {
    document.body.dataset.state = kind;
    $("status").textContent = text;
    $("dashboard").setAttribute("aria-busy", kind === "loading" ? "true" : "false");
  }

  function describeFilters(f) {
    const parts = [];
    if (f.kota) parts.push(state.kotaNames.get(f.kota) || f.kota);
    if (f.category) parts.push(f.category);
    if (f.from || f.to) parts.push(`${f.from ? longDay(f.from) : "awal"} – ${f.to ? longDay(f.to) : "hari ini"}`);
    return parts.length ? parts.join(" · ") : "semua data";
  }

  async function loadAll() {
    const f = currentFilters();
    const problem = filterProblem(f);
    const filterError = $("filter-error");
    filterError.textContent = problem;
    filterError.hidden = !problem;
    fields.from.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) return;
    history.replaceState(null, "", `${location.pathname}${query(f)}`);
    for (const [id, file] of [["dl-csv", "export.csv"], ["dl-geojson", "export.geojson"]]) {
      $(id).href = `${API}/${file}${query(f)}`;
    }
    const generation = ++state.generation;
    setStatus("loading", "Memuat data…");
    $("failure").hidden = true;
    const q = query(f);
    try {
      const [summary, series, categories, kelurahan, units] = await Promise.all([
        fetchJSON(`${API}/summary${q}`),
        fetchJSON(`${API}/timeseries${query(trendFilters(f))}`),
        fetchJSON(`${API}/by-category${q}`),
        fetchJSON(`${API}/by-kelurahan${q}`),
        fetchJSON(`${API}/units`),
      ]);
      if (generation !== state.generation) return; // a newer filter won
      renderSummary(summary);
      renderTrend(series, f.from && f.from < series.from);
      renderCategories(categories.categories || []);
      renderMap(kelurahan, f.kota);
      state.units = units.units || [];
      renderUnits();
      $("dashboard").classList.remove("stale");
      state.loads += 1;
      document.body.dataset.loads = String(state.loads);
      document.body.dataset.query = q;
      const time = new Date().toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
      setStatus("ready", `Menampilkan ${describeFilters(f)}: ${nf.format(summary.total)} laporan. Diperbarui pukul ${time}.`);
    } catch (err) {
      if (generation !== state.generation) return;
      showFailure(err);
    }
  }

  function showFailure(err) {
    const reason = err instanceof ApiError ? err.message : "terjadi kesalahan di halaman";
    $("failure-text").textContent = `Data tidak dapat dimuat: ${reason}. Angka yang tampil mungkin belum terbaru; coba lagi sebentar lagi.`;
    $("failure").hidden = false;
    $("dashboard").classList.add("stale");
    setStatus("error", "Data gagal dimuat.");
  }

  // ---- summary and resolution ----
  function renderSummary(s) {
    $("total").textContent = nf.format(s.total);
    const states = s.states || [];
    const done = states.find((x) => x.state === "done");
    $("done-share").textContent = pct(done ? done.share : 0);
    $("private-count").textContent = nf.format(s.private_reports || 0);

    const shown = states.filter((x) => x.count > 0).sort((a, b) => b.share - a.share);
    $("share-sentence").textContent = shown.length
      ? shown.map((x) => `${pct(x.share)} ${x.label.toLowerCase()}`).join(", ")
      : "Belum ada laporan untuk saringan ini.";

    const bar = $("share-bar");
    bar.replaceChildren();
    let x = 0;
    for (const item of shown) {
      const width = (1000 * item.count) / s.total;
      const rect = svgEl("rect", { x, y: 0, width, height: 24, class: `st-${item.state}` });
      const title = svgEl("title");
      title.textContent = `${item.label}: ${nf.format(item.count)} (${pct(item.share)})`;
      rect.appendChild(title);
      bar.appendChild(rect);
      x += width;
    }

    const rows = $("state-rows");
    rows.replaceChildren();
    for (const item of states) {
      const tr = row([
        { th: true, text: item.label },
        { text: nf.format(item.count), num: true, key: "count" },
        { text: pct(item.share), num: true, key: "share" },
      ]);
      tr.dataset.state = item.state;
      tr.firstChild.prepend(el("span", { class: `swatch st-${item.state}`, "aria-hidden": "true" }));
      if (!item.count) tr.classList.add("zero");
      rows.appendChild(tr);
    }

    const res = s.resolution || {};
    for (const [id, value] of [["median-hours", res.median_hours], ["p90-hours", res.p90_hours]]) {
      $(id).textContent = hours(value);
      $(id).dataset.hours = value === null || value === undefined ? "" : String(value);
    }
    $("resolved-count").textContent = `${nf.format(res.count || 0)} laporan`;
  }

  // ---- charts ----
  function chartsAvailable() {
    const ok = typeof window.Chart === "function";
    document.body.classList.toggle("no-charts", !ok);
    return ok;
  }

  function upsertChart(name, canvas, config) {
    const existing = state.charts[name];
    if (existing) {
      existing.data = config.data;
      existing.update();
      return;
    }
    state.charts[name] = new window.Chart(canvas, config);
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
    };
  }

  function renderTrend(series, clipped) {
    const days = series.days || [];
    const note = clipped ? ` (${MAX_TREND_DAYS} hari terakhir dari rentang yang dipilih)` : "";
    $("trend-range").textContent = `${longDay(series.from)} – ${longDay(series.to)}${note}`;
    const rows = $("trend-rows");
    rows.replaceChildren(
      ...days.map((d) =>
        row([
          { th: true, text: longDay(d.date) },
          { text: nf.format(d.received), num: true, key: "received" },
          { text: nf.format(d.done), num: true, key: "done" },
        ]),
      ),
    );
    if (!chartsAvailable()) return;
    upsertChart("trend", $("trend-chart"), {
      type: "bar",
      data: {
        labels: days.map((d) => day(d.date)),
        datasets: [
          { type: "bar", label: "Laporan masuk", data: days.map((d) => d.received), backgroundColor: COLORS.received, borderRadius: 2 },
          { type: "line", label: "Selesai", data: days.map((d) => d.done), borderColor: COLORS.done, backgroundColor: COLORS.done, pointRadius: 2, tension: 0.25 },
        ],
      },
      options: {
        ...baseOptions(),
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: COLORS.grid } },
        },
      },
    });
  }

  function wrapLabel(text, width) {
    const lines = [];
    for (const word of String(text).split(/\s+/)) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
      else lines.push(word);
    }
    return lines.length > 1 ? lines : lines[0];
  }

  function renderCategories(categories) {
    const rows = $("category-rows");
    rows.replaceChildren();
    for (const c of categories) {
      const tr = row([
        { th: true, text: c.category },
        { text: nf.format(c.count), num: true, key: "count" },
        { text: pct(c.share), num: true, key: "share" },
        { text: nf.format(c.done), num: true, key: "done" },
      ]);
      tr.dataset.category = c.category;
      rows.appendChild(tr);
    }
    if (!categories.length) rows.appendChild(row([{ text: "Belum ada laporan untuk saringan ini." }, {}, {}, {}]));
    // One bar per category: the box grows with the number of categories.
    $("category-box").style.height = `${Math.max(140, 30 * categories.length + 60)}px`;
    if (!chartsAvailable()) return;
    upsertChart("category", $("category-chart"), {
      type: "bar",
      data: {
        labels: categories.map((c) => c.category),
        datasets: [{ label: "Laporan", data: categories.map((c) => c.count), backgroundColor: COLORS.bar, borderRadius: 2 }],
      },
      options: {
        ...baseOptions(),
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: COLORS.grid } },
          y: {
            grid: { display: false },
            ticks: {
              autoSkip: false,
              // Long names wrap onto lines (narrow screens wrap sooner); the table has them whole.
              callback(value) {
                return wrapLabel(this.getLabelForValue(value), window.innerWidth < 600 ? 14 : 28);
              },
            },
          },
        },
      },
    });
  }

  // ---- the kelurahan choropleth ----
  // Equirectangular: x scaled by cos(latitude of the view's centre); y grows southwards.
  function projector(view) {
    const lon0 = (view[0] + view[2]) / 2;
    const lat0 = (view[1] + view[3]) / 2;
    const k = Math.cos((lat0 * Math.PI) / 180);
    return (lon, lat) => [(lon - lon0) * k * UNITS, (lat0 - lat) * UNITS];
  }

  function polygonsOf(geometry) {
    if (!geometry) return [];
    return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  }

  function pathData(polys, project) {
    let d = "";
    for (const rings of polys) {
      for (const ring of rings) {
        ring.forEach(([lon, lat], i) => {
          const [x, y] = project(lon, lat);
          d += (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
        });
        d += "Z";
      }
    }
    return d;
  }

  function boxOf(bbox, project) {
    const [x0, y0] = project(bbox[0], bbox[3]);
    const [x1, y1] = project(bbox[2], bbox[1]);
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  function buildMap(geo) {
    const svg = $("map");
    const project = projector(geo.view || geo.bbox);
    const layer = svgEl("g", { class: "areas" });
    const areas = new Map();
    for (const feature of geo.features) {
      const polys = polygonsOf(feature.geometry);
      const path = svgEl("path", { d: pathData(polys, project) });
      path.dataset.kode = feature.properties.kode;
      path.appendChild(svgEl("title"));
      layer.appendChild(path);
      let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
      for (const rings of polys) {
        for (const [lon, lat] of rings[0]) {
          w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat);
        }
      }
      areas.set(feature.properties.kode, { path, bbox: [w, s, e, n], props: feature.properties });
    }
    svg.replaceChildren(layer);
    state.map = { project, areas, view: geo.view || geo.bbox };
    svg.addEventListener("pointermove", (e) => showArea(e.target, false));
    svg.addEventListener("pointerleave", () => showArea(null, false));
    svg.addEventListener("click", (e) => showArea(e.target, true));
  }

  function areaText(props) {
    return `Kelurahan ${props.name}, Kecamatan ${props.kecamatan}, ${props.kota}: ${nf.format(props.count)} laporan, ${nf.format(props.done)} selesai`;
  }

  function showArea(target, pick) {
    const map = state.map;
    const kode = target && target.dataset ? target.dataset.kode : undefined;
    const area = kode ? map.areas.get(kode) : null;
    for (const old of $("map").querySelectorAll("path.hover")) old.classList.remove("hover");
    if (pick) for (const old of $("map").querySelectorAll("path.picked")) old.classList.remove("picked");
    if (area) area.path.classList.add(pick ? "picked" : "hover");
    if (area || pick) {
      $("map-info").textContent = area ? areaText(area.props) : "";
      $("map-info").dataset.kode = area ? kode : "";
    }
  }

  // Upper bounds of the classes above zero: quartiles of the non-zero counts, without repeats.
  function classBreaks(counts) {
    const nonzero = counts.filter((c) => c > 0).sort((a, b) => a - b);
    const uppers = [];
    for (const q of [0.25, 0.5, 0.75, 1]) {
      if (!nonzero.length) break;
      const v = nonzero[Math.max(0, Math.ceil(q * nonzero.length) - 1)];
      if (!uppers.length || v > uppers[uppers.length - 1]) uppers.push(v);
    }
    return uppers;
  }

  function renderMap(geo, kota) {
    if (!state.map) buildMap(geo);
    const map = state.map;
    const counts = geo.features.map((f) => f.properties.count);
    const uppers = classBreaks(counts);
    // Spread the classes over the 4-step palette (c1 lightest … c4 darkest).
    const shade = (i) => Math.round(((i + 1) * 4) / uppers.length);
    const classOf = (n) => (n <= 0 ? 0 : shade(uppers.findIndex((u) => n <= u)));
    const inKota = (kode) => !kota || kode.startsWith(`${kota}.`);
    for (const feature of geo.features) {
      const area = map.areas.get(feature.properties.kode);
      if (!area) continue;
      area.props = feature.properties;
      area.path.setAttribute("class", `c${classOf(feature.properties.count)}${inKota(area.props.kode) ? "" : " dim"}`);
      area.path.firstChild.textContent = areaText(feature.properties);
    }
    const picked = $("map-info").dataset.kode;
    if (picked && map.areas.has(picked)) $("map-info").textContent = areaText(map.areas.get(picked).props);
    renderLegend(uppers, shade);
    fitMap(kota);
    renderTopKelurahan(geo.features);
  }

  function fitMap(kota) {
    const map = state.map;
    let bbox = map.view;
    if (kota) {
      const boxes = [...map.areas.values()].filter((a) => a.props.kode.startsWith(`${kota}.`)).map((a) => a.bbox);
      if (boxes.length) {
        bbox = [
          Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
          Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3])),
        ];
      }
    }
    const box = boxOf(bbox, map.project);
    const pad = Math.max(box.w, box.h) * 0.03;
    $("map").setAttribute("viewBox", `${box.x - pad} ${box.y - pad} ${box.w + 2 * pad} ${box.h + 2 * pad}`);
  }

  function renderLegend(uppers, shade) {
    const legend = $("legend");
    legend.replaceChildren();
    const item = (cls, text) => {
      const li = el("li");
      li.appendChild(el("span", { class: `swatch ${cls}`, "aria-hidden": "true" }));
      li.appendChild(el("span", {}, text));
      legend.appendChild(li);
    };
    item("c0", "0 laporan");
    let low = 1;
    uppers.forEach((u, i) => {
      item(`c${shade(i)}`, `${low === u ? nf.format(u) : `${nf.format(low)}–${nf.format(u)}`} laporan`);
      low = u + 1;
    });
  }

  function renderTopKelurahan(features) {
    const top = features
      .filter((f) => f.properties.count > 0)
      .sort((a, b) => b.properties.count - a.properties.count || (a.properties.kode < b.properties.kode ? -1 : 1))
      .slice(0, 10);
    const rows = $("kelurahan-rows");
    rows.replaceChildren();
    for (const f of top) {
      const p = f.properties;
      const tr = row([
        { th: true, text: p.name },
        { text: nf.format(p.count), num: true, key: "count" },
        { text: nf.format(p.done), num: true, key: "done" },
      ]);
      tr.firstChild.appendChild(el("span", { class: "place" }, `Kec. ${p.kecamatan}, ${p.kota}`));
      tr.dataset.kode = p.kode;
      rows.appendChild(tr);
    }
    if (!top.length) rows.appendChild(row([{ text: "Belum ada laporan untuk saringan ini." }, {}, {}]));
  }

  // ---- unit compliance ----
  function renderUnits() {
    const units = state.units;
    const shown = state.unitsExpanded ? units : units.slice(0, UNIT_ROWS);
    const rows = $("unit-rows");
    rows.replaceChildren();
    shown.forEach((u, i) => {
      const tr = row([
        { text: nf.format(i + 1), num: true, cls: "rank" },
        { th: true, text: u.name },
        { text: pct(100 * u.on_time_ratio), num: true, key: "on_time" },
        { text: nf.format(u.assignments), num: true, key: "assignments" },
        { text: u.average_rating === null ? "–" : `${nf1.format(u.average_rating)} dari 5`, num: true, key: "rating" },
      ]);
      tr.dataset.unit = u.unit_id;
      rows.appendChild(tr);
    });
    if (!units.length) rows.appendChild(row([{}, { text: "Belum ada penugasan." }, {}, {}, {}]));
    let toggle = $("units-toggle");
    if (units.length > UNIT_ROWS) {
      if (!toggle) {
        toggle = el("button", { type: "button", id: "units-toggle", class: "link", "aria-controls": "unit-table" });
        toggle.addEventListener("click", () => {
          state.unitsExpanded = !state.unitsExpanded;
          renderUnits();
        });
        $("unit-table").parentElement.after(toggle);
      }
      toggle.textContent = state.unitsExpanded ? "Tampilkan 10 teratas saja" : `Tampilkan semua ${nf.format(units.length)} unit`;
      toggle.setAttribute("aria-expanded", String(state.unitsExpanded));
    } else if (toggle) {
      toggle.remove();
    }
  }

  // ---- start ----
  async function start() {
    const initial = Object.fromEntries(new URLSearchParams(location.search));
    try {
      await loadFilterChoices(initial);
    } catch (err) {
      showFailure(err);
      return;
    }
    for (const input of Object.values(fields)) input.addEventListener("change", loadAll);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      loadAll();
    });
    form.addEventListener("reset", () => setTimeout(loadAll, 0)); // after the fields were cleared
    await loadAll();
  }

  $("retry").addEventListener("click", () => (state.map || state.kotaNames.size ? loadAll() : start()));
  if (window.Chart) {
    window.Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    window.Chart.defaults.color = "#1d2733";
  }
  // For tests and embedding pages: where a place is on the map's screen now.
  function clientPoint(lat, lon) {
    const [x, y] = state.map.project(lon, lat);
    const p = new DOMPoint(x, y).matrixTransform($("map").getScreenCTM());
    return { x: p.x, y: p.y };
  }

  window.aduanDashboard = { ready: start(), reload: loadAll, clientPoint };
})();
