// Aduan's public dashboard: reads /v1/public/* of this service only and draws every panel.
// Filters, fetching, the summary, tables and the unit ranking live here; charts.js draws the
// Chart.js charts and map.js the kelurahan choropleth (SVG from /v1/public/by-kelurahan, no
// tiles). Text from the API only ever goes into textContent.
(() => {
  "use strict";

  const API = "/v1/public";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const UNIT_ROWS = 10; // unit ranking rows shown before "show all"

  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat("id-ID");
  const nf1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
  const dayFmt = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "short", timeZone: "UTC" });
  const longDayFmt = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

  const state = {
    generation: 0,
    loads: 0,
    map: null, // map.js's choropleth, made with the first answer
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

  // ---- trend and categories: tables here, charts in charts.js ----
  function chartsAvailable() {
    const ok = window.AduanCharts.available();
    document.body.classList.toggle("no-charts", !ok);
    return ok;
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
    if (chartsAvailable()) window.AduanCharts.trend($("trend-chart"), days, day);
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
    if (chartsAvailable()) window.AduanCharts.categories($("category-chart"), categories);
  }

  // ---- the kelurahan choropleth (map.js) ----
  function areaText(props) {
    return `Kelurahan ${props.name}, Kecamatan ${props.kecamatan}, ${props.kota}: ${nf.format(props.count)} laporan, ${nf.format(props.done)} selesai`;
  }

  // Hover shows a kelurahan; a tap or click keeps it (until another is picked).
  function showArea(props, picked) {
    const info = $("map-info");
    if (!props && !picked) return;
    info.textContent = props ? areaText(props) : "";
    info.dataset.kode = props ? props.kode : "";
  }

  function renderMap(geo, kota) {
    if (!state.map) {
      state.map = window.AduanChoropleth.create($("map"), geo, { describe: areaText, onShow: showArea });
    }
    const classes = state.map.update(geo.features, kota);
    const picked = state.map.props($("map-info").dataset.kode || "");
    if (picked) $("map-info").textContent = areaText(picked);
    renderLegend(classes);
    renderTopKelurahan(geo.features);
  }

  function renderLegend(classes) {
    const legend = $("legend");
    legend.replaceChildren();
    for (const c of classes) {
      const range = c.low === c.high ? nf.format(c.high) : `${nf.format(c.low)}–${nf.format(c.high)}`;
      const li = el("li");
      li.appendChild(el("span", { class: `swatch ${c.cls}`, "aria-hidden": "true" }));
      li.appendChild(el("span", {}, `${range} laporan`));
      legend.appendChild(li);
    }
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
  window.aduanDashboard = {
    ready: start(),
    reload: loadAll,
    // For tests and embedding pages: where a place is on the map's screen now.
    clientPoint: (lat, lon) => state.map.clientPoint(lat, lon),
  };
})();
