// Balai Warga form: draws the kelurahan as SVG (no tile server), takes a map pick, checks the
// photos and submits multipart to POST /v1/reports. User text only ever goes into textContent.
(() => {
  "use strict";

  const MAX_PHOTOS = 5;
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
  const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  const SVG_NS = "http://www.w3.org/2000/svg";
  const UNITS = 10000; // projected units per degree (keeps path numbers short)
  const MARKER_PX = 8;

  const $ = (id) => document.getElementById(id);
  const svg = $("map");
  const form = $("report-form");
  const result = $("result");

  const state = {
    areas: [], // {props, polys: [[ring of [lon, lat]]], bbox: [w, s, e, n], el}
    lon0: 0,
    lat0: 0,
    k: 1,
    full: null, // projected {x, y, w, h} of everything
    view: null, // projected box of the first view
    vb: null, // current viewBox {x, y, w, h}
    pxw: 1, // the map's width in pixels when vb was set
    pick: null, // {lat, lon, accuracy, area}
    externalId: newExternalId(),
    busy: false,
    done: false,
  };

  function newExternalId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works outside secure contexts, unlike randomUUID
    return "bw-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- projection: equirectangular, x scaled by cos(latitude of the view's centre) ----
  const project = (lon, lat) => [(lon - state.lon0) * state.k * UNITS, (state.lat0 - lat) * UNITS];
  const unproject = (x, y) => [x / (state.k * UNITS) + state.lon0, state.lat0 - y / UNITS];

  function boxOf(bbox) {
    const [x0, y0] = project(bbox[0], bbox[3]);
    const [x1, y1] = project(bbox[2], bbox[1]);
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  // ---- point in polygon (even-odd over a polygon's rings: holes fall out) ----
  function inRings(lon, lat, rings) {
    let inside = false;
    for (const ring of rings) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
          inside = !inside;
        }
      }
    }
    return inside;
  }

  function areaAt(lon, lat) {
    for (const area of state.areas) {
      const [w, s, e, n] = area.bbox;
      if (lon < w || lon > e || lat < s || lat > n) continue;
      if (area.polys.some((rings) => inRings(lon, lat, rings))) return area;
    }
    return null;
  }

  // ---- the view ----
  function pxSize() {
    return { w: svg.clientWidth || 1, h: svg.clientHeight || 1 };
  }

  function applyView() {
    const vb = state.vb;
    svg.setAttribute("viewBox", `${vb.x} ${vb.y} ${vb.w} ${vb.h}`);
    state.pxw = pxSize().w;
    drawMarker();
  }

  function fit(box) {
    const px = pxSize();
    const upp = Math.max(box.w / px.w, box.h / px.h) * 1.04; // units per pixel, small margin
    const cx = box.x + box.w / 2;
    const cy = box.y + box.h / 2;
    state.vb = { x: cx - (px.w * upp) / 2, y: cy - (px.h * upp) / 2, w: px.w * upp, h: px.h * upp };
    applyView();
  }

  function clampUpp(upp) {
    const px = pxSize();
    const most = (Math.max(state.full.w / px.w, state.full.h / px.h) || 1) * 2;
    const least = (0.0015 * UNITS) / px.w; // about 170 m across the map
    return Math.min(most, Math.max(least, upp));
  }

  // Zoom by `factor` (<1 zooms in) keeping the point under client (cx, cy) in place.
  function zoomAt(cx, cy, factor, from) {
    const base = from || state.vb;
    const rect = svg.getBoundingClientRect();
    const px = pxSize();
    const upp = base.w / px.w;
    const next = clampUpp(upp * factor);
    const ax = base.x + (cx - rect.left) * upp;
    const ay = base.y + (cy - rect.top) * upp;
    state.vb = {
      x: ax - (cx - rect.left) * next,
      y: ay - (cy - rect.top) * next,
      w: px.w * next,
      h: px.h * next,
    };
    applyView();
  }

  function zoomCentre(factor) {
    const rect = svg.getBoundingClientRect();
    zoomAt(rect.left + rect.width / 2, rect.top + rect.height / 2, factor);
  }

  function panBy(dxPx, dyPx) {
    const upp = state.vb.w / pxSize().w;
    state.vb = { ...state.vb, x: state.vb.x - dxPx * upp, y: state.vb.y - dyPx * upp };
    applyView();
  }

  // Client pixel ↔ map coordinates through the SVG's own transform.
  function clientToLonLat(cx, cy) {
    const p = new DOMPoint(cx, cy).matrixTransform(svg.getScreenCTM().inverse());
    return unproject(p.x, p.y);
  }

  function lonLatToClient(lon, lat) {
    const [x, y] = project(lon, lat);
    const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
    return { x: p.x, y: p.y };
  }

  // ---- drawing ----
  function ringPath(ring) {
    let d = "";
    for (let i = 0; i < ring.length; i++) {
      const [x, y] = project(ring[i][0], ring[i][1]);
      d += (i ? "L" : "M") + x.toFixed(1) + " " + y.toFixed(1);
    }
    return d + "Z";
  }

  function drawAreas(geojson) {
    const [w, s, e, n] = geojson.view || geojson.bbox;
    state.lon0 = (w + e) / 2;
    state.lat0 = (s + n) / 2;
    state.k = Math.cos((state.lat0 * Math.PI) / 180);
    const layer = document.createElementNS(SVG_NS, "g");
    geojson.features.forEach((feature, i) => {
      const g = feature.geometry;
      const polys = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", polys.map((rings) => rings.map(ringPath).join("")).join(""));
      path.dataset.i = String(i);
      layer.appendChild(path);
      let bw = Infinity, bs = Infinity, be = -Infinity, bn = -Infinity;
      for (const rings of polys) {
        for (const [lon, lat] of rings[0]) {
          bw = Math.min(bw, lon); be = Math.max(be, lon);
          bs = Math.min(bs, lat); bn = Math.max(bn, lat);
        }
      }
      state.areas.push({ props: feature.properties, polys, bbox: [bw, bs, be, bn], el: path });
    });
    svg.replaceChildren(layer);
    state.full = boxOf(geojson.bbox);
    state.view = boxOf(geojson.view || geojson.bbox);
    fit(state.view);
  }

  function drawMarker() {
    for (const old of svg.querySelectorAll(".marker, .accuracy")) old.remove();
    const pick = state.pick;
    if (!pick || !state.vb) return;
    const [x, y] = project(pick.lon, pick.lat);
    const upp = state.vb.w / pxSize().w;
    if (pick.accuracy) {
      const ring = document.createElementNS(SVG_NS, "circle");
      ring.setAttribute("class", "accuracy");
      ring.setAttribute("cx", x);
      ring.setAttribute("cy", y);
      ring.setAttribute("r", Math.max((pick.accuracy / 111320) * UNITS, MARKER_PX * upp));
      svg.appendChild(ring);
    }
    const dot = document.createElementNS(SVG_NS, "circle");
    dot.setAttribute("class", "marker");
    dot.setAttribute("cx", x);
    dot.setAttribute("cy", y);
    dot.setAttribute("r", MARKER_PX * upp);
    svg.appendChild(dot);
  }

  function describe(area) {
    const p = area.props;
    return `Kelurahan ${p.name}, Kecamatan ${p.kecamatan}, ${p.kota}`;
  }

  function setPick(lon, lat, accuracy) {
    if (state.pick && state.pick.area) state.pick.area.el.classList.remove("picked");
    const area = areaAt(lon, lat);
    state.pick = { lon, lat, accuracy: accuracy || null, area };
    if (area) area.el.classList.add("picked");
    $("lat").value = lat.toFixed(6);
    $("lon").value = lon.toFixed(6);
    const where = `(${lat.toFixed(5)}, ${lon.toFixed(5)})`;
    const text = $("pick-text");
    text.classList.toggle("outside", !area);
    text.textContent = area
      ? `Titik dipilih: ${describe(area)} ${where}`
      : `Titik ${where} di luar wilayah kelurahan mana pun; laporan tetap bisa dikirim.`;
    text.dataset.kode = area ? area.props.kode : "";
    $("clear-pick").hidden = false;
    drawMarker();
  }

  function clearPick() {
    if (state.pick && state.pick.area) state.pick.area.el.classList.remove("picked");
    state.pick = null;
    $("lat").value = "";
    $("lon").value = "";
    const text = $("pick-text");
    text.classList.remove("outside");
    text.textContent = "Belum ada titik dipilih.";
    text.dataset.kode = "";
    $("clear-pick").hidden = true;
    drawMarker();
  }

  // ---- pointer, wheel and keyboard on the map ----
  const pointers = new Map();
  let gesture = null;

  function startGesture(moved) {
    const pts = [...pointers.values()];
    const c = {
      x: pts.reduce((a, p) => a + p.x, 0) / pts.length,
      y: pts.reduce((a, p) => a + p.y, 0) / pts.length,
    };
    const d = pts.length > 1 ? Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y) : 0;
    return { vb: { ...state.vb }, c, d, n: pts.length, moved };
  }

  function showHover(target) {
    for (const old of svg.querySelectorAll("path.hover")) old.classList.remove("hover");
    const i = target && target.dataset ? target.dataset.i : undefined;
    const area = i === undefined ? null : state.areas[Number(i)];
    if (area) area.el.classList.add("hover");
    $("map-hover").textContent = area ? describe(area) : "";
  }

  function bindMap() {
    svg.addEventListener("pointerdown", (e) => {
      if (!state.vb) return;
      svg.setPointerCapture(e.pointerId);
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      gesture = startGesture(gesture !== null);
    });
    svg.addEventListener("pointermove", (e) => {
      if (!pointers.has(e.pointerId)) {
        if (e.pointerType === "mouse") showHover(e.target);
        return;
      }
      pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      const now = startGesture(true);
      const g = gesture;
      if (now.n !== g.n) {
        gesture = now;
        return;
      }
      if (Math.hypot(now.c.x - g.c.x, now.c.y - g.c.y) > 4 || now.n > 1) g.moved = true;
      if (!g.moved) return;
      svg.classList.add("dragging");
      const factor = g.n > 1 && now.d > 0 ? g.d / now.d : 1;
      // Keep the map point that was under the gesture's start centre under its current centre.
      const rect = svg.getBoundingClientRect();
      const upp = g.vb.w / pxSize().w;
      const ax = g.vb.x + (g.c.x - rect.left) * upp;
      const ay = g.vb.y + (g.c.y - rect.top) * upp;
      const next = clampUpp(upp * factor);
      const px = pxSize();
      state.vb = {
        x: ax - (now.c.x - rect.left) * next,
        y: ay - (now.c.y - rect.top) * next,
        w: px.w * next,
        h: px.h * next,
      };
      applyView();
    });
    const end = (e, cancelled) => {
      if (!pointers.has(e.pointerId)) return;
      pointers.delete(e.pointerId);
      const g = gesture;
      if (pointers.size > 0) {
        gesture = startGesture(true);
        return;
      }
      gesture = null;
      svg.classList.remove("dragging");
      if (e.pointerType === "mouse") showHover(document.elementFromPoint(e.clientX, e.clientY));
      if (!cancelled && g && !g.moved && g.n === 1) {
        const [lon, lat] = clientToLonLat(e.clientX, e.clientY);
        setPick(lon, lat, null);
      }
    };
    svg.addEventListener("pointerup", (e) => end(e, false));
    svg.addEventListener("pointercancel", (e) => end(e, true));
    svg.addEventListener("pointerleave", () => showHover(null));
    svg.addEventListener(
      "wheel",
      (e) => {
        if (!state.vb) return;
        e.preventDefault();
        zoomAt(e.clientX, e.clientY, Math.exp(Math.max(-300, Math.min(300, e.deltaY)) * 0.002));
      },
      { passive: false },
    );
    svg.addEventListener("keydown", (e) => {
      if (!state.vb) return;
      const step = 60;
      const keys = {
        ArrowLeft: () => panBy(step, 0),
        ArrowRight: () => panBy(-step, 0),
        ArrowUp: () => panBy(0, step),
        ArrowDown: () => panBy(0, -step),
        "+": () => zoomCentre(1 / 1.6),
        "=": () => zoomCentre(1 / 1.6),
        "-": () => zoomCentre(1.6),
        Enter: () => {
          const rect = svg.getBoundingClientRect();
          const [lon, lat] = clientToLonLat(rect.left + rect.width / 2, rect.top + rect.height / 2);
          setPick(lon, lat, null);
        },
      };
      if (keys[e.key]) {
        e.preventDefault();
        keys[e.key]();
      }
    });
    $("zoom-in").addEventListener("click", () => state.vb && zoomCentre(1 / 1.6));
    $("zoom-out").addEventListener("click", () => state.vb && zoomCentre(1.6));
    $("zoom-reset").addEventListener("click", () => state.view && fit(state.view));
    $("clear-pick").addEventListener("click", clearPick);
    $("locate").addEventListener("click", locate);
    new ResizeObserver(() => {
      if (!state.vb) return;
      const px = pxSize();
      const upp = state.vb.w / state.pxw; // keep the scale and the centre
      const cx = state.vb.x + state.vb.w / 2;
      const cy = state.vb.y + state.vb.h / 2;
      state.vb = { x: cx - (px.w * upp) / 2, y: cy - (px.h * upp) / 2, w: px.w * upp, h: px.h * upp };
      applyView();
    }).observe(svg);
  }

  function locate() {
    const text = $("pick-text");
    if (!navigator.geolocation) {
      text.textContent = "Peramban ini tidak dapat memberikan lokasi; pilih titik di peta.";
      return;
    }
    text.textContent = "Mencari lokasi Anda…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const { latitude, longitude, accuracy } = pos.coords;
        setPick(longitude, latitude, accuracy);
        if (state.vb) {
          const [x, y] = project(longitude, latitude);
          const upp = clampUpp((0.01 * UNITS) / pxSize().w);
          const px = pxSize();
          state.vb = { x: x - (px.w * upp) / 2, y: y - (px.h * upp) / 2, w: px.w * upp, h: px.h * upp };
          applyView();
        }
      },
      (err) => {
        text.textContent =
          err.code === err.PERMISSION_DENIED
            ? "Izin lokasi ditolak. Pilih titik di peta atau isi alamat."
            : "Lokasi tidak dapat ditemukan. Pilih titik di peta atau isi alamat.";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  }

  // ---- photos ----
  function photoProblems() {
    const files = Array.from($("photos").files || []);
    const problems = [];
    if (files.length > MAX_PHOTOS) problems.push(`Paling banyak ${MAX_PHOTOS} foto (dipilih ${files.length}).`);
    for (const f of files) {
      if (!PHOTO_TYPES.includes(f.type)) problems.push(`"${f.name}" bukan foto JPEG, PNG, atau WebP.`);
      else if (f.size > MAX_PHOTO_BYTES) problems.push(`"${f.name}" lebih dari 10 MB.`);
    }
    return problems;
  }

  function sizeText(bytes) {
    return bytes < 1048576
      ? `${Math.max(1, Math.round(bytes / 1024))} KB`
      : `${(bytes / 1048576).toFixed(1).replace(".", ",")} MB`;
  }

  function showPhotos() {
    const list = $("photo-list");
    list.replaceChildren(
      ...Array.from($("photos").files || []).map((f) =>
        el("li", {}, `${f.name} (${sizeText(f.size)})`),
      ),
    );
    fieldError("photos", "photos-error", photoProblems().join(" "));
  }

  // ---- validation and the result area ----
  function fieldError(inputId, errorId, message) {
    const error = $(errorId);
    error.textContent = message || "";
    error.hidden = !message;
    if (message) $(inputId).setAttribute("aria-invalid", "true");
    else $(inputId).removeAttribute("aria-invalid");
  }

  function validate() {
    const problems = [];
    const description = $("description");
    const descriptionMsg = description.value.trim() ? "" : "Deskripsi masalah wajib diisi.";
    fieldError("description", "description-error", descriptionMsg);
    if (descriptionMsg) problems.push([description, descriptionMsg]);
    const photoMsg = photoProblems().join(" ");
    fieldError("photos", "photos-error", photoMsg);
    if (photoMsg) problems.push([$("photos"), photoMsg]);
    const email = $("reporter-email");
    const emailMsg = email.validity.typeMismatch ? "Alamat e-mail tidak valid." : "";
    fieldError("reporter-email", "email-error", emailMsg);
    if (emailMsg) problems.push([email, emailMsg]);
    return problems;
  }

  function showResult(kind, nodes) {
    result.className = `result ${kind}`;
    result.replaceChildren(...nodes);
  }

  const STATUS_TEXT = {
    413: "Foto terlalu besar atau terlalu banyak (paling banyak 5 foto, masing-masing 10 MB).",
    415: "Jenis berkas tidak didukung: kirim foto JPEG, PNG, atau WebP.",
    422: "Isian laporan belum lengkap atau tidak valid.",
    503: "Layanan sedang sibuk. Laporan belum tersimpan; silakan coba lagi sebentar lagi.",
  };

  function failure(status, detail, retryAfter) {
    let text;
    if (status === 0) text = "Tidak dapat terhubung ke server. Periksa koneksi lalu coba lagi.";
    else if (status === 429) {
      const wait = Number.parseInt(retryAfter || "", 10);
      text = "Terlalu banyak laporan dari perangkat atau jaringan ini dalam waktu singkat. " +
        (wait > 0 ? `Silakan coba lagi dalam ${wait} detik.` : "Silakan coba lagi sebentar lagi.");
    } else text = STATUS_TEXT[status] || `Laporan gagal dikirim (kode ${status}).`;
    const nodes = [el("p", { class: "title" }, "Laporan belum terkirim."), el("p", {}, text)];
    if (detail) nodes.push(el("p", { class: "detail" }, `Keterangan dari server: ${detail}`));
    showResult("err", nodes);
    result.focus();
  }

  function success(code) {
    state.done = true;
    const again = el("button", { type: "button", class: "secondary", id: "new-report" }, "Buat laporan baru");
    again.addEventListener("click", resetForm);
    showResult("ok", [
      el("p", { class: "title" }, "Terima kasih, laporan Anda sudah kami terima."),
      el("p", {}, "Kode pelacakan Anda:"),
      el("p", { class: "code", id: "tracking-code" }, code),
      el("p", {}, "Simpan kode ini untuk memantau perkembangan laporan Anda."),
      again,
    ]);
    $("submit").disabled = true;
    result.focus();
  }

  function resetForm() {
    form.reset();
    clearPick();
    showPhotos();
    state.externalId = newExternalId();
    state.done = false;
    $("submit").disabled = false;
    result.replaceChildren();
    result.className = "result";
    $("description").focus();
  }

  function formBody() {
    const body = new FormData();
    body.append("channel", "balai_warga");
    body.append("external_id", state.externalId); // a retried submit is the same report
    body.append("description", $("description").value.trim());
    if ($("category").value) body.append("category", $("category").value);
    if (state.pick) {
      const location = { lat: state.pick.lat, lon: state.pick.lon };
      if (state.pick.accuracy) location.accuracy_m = state.pick.accuracy;
      body.append("location", JSON.stringify(location));
    }
    const address = $("address").value.trim();
    if (address) body.append("address_text", address);
    body.append("visibility", form.elements.visibility.value || "private");
    const reporter = {};
    for (const [key, id] of [["name", "reporter-name"], ["phone", "reporter-phone"], ["email", "reporter-email"]]) {
      const value = $(id).value.trim();
      if (value) reporter[key] = value;
    }
    if (Object.keys(reporter).length) body.append("reporter", JSON.stringify(reporter));
    for (const file of Array.from($("photos").files || [])) body.append("photos", file, file.name);
    return body;
  }

  async function submit(event) {
    event.preventDefault();
    if (state.busy || state.done) return;
    const problems = validate();
    if (problems.length) {
      const list = el("ul");
      for (const [, message] of problems) list.appendChild(el("li", {}, message));
      showResult("err", [el("p", { class: "title" }, "Laporan belum terkirim. Periksa isian berikut:"), list]);
      problems[0][0].focus();
      return;
    }
    state.busy = true;
    const button = $("submit");
    button.disabled = true;
    button.textContent = "Mengirim…";
    showResult("info", [el("p", {}, "Mengirim laporan…")]);
    try {
      const response = await fetch("/v1/reports", {
        method: "POST",
        body: formBody(),
        headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => null);
      if (response.status === 202 && body && body.tracking_code) success(body.tracking_code);
      else failure(response.status, body && body.detail, response.headers.get("Retry-After"));
    } catch (err) {
      failure(0, null, null);
    } finally {
      state.busy = false;
      button.textContent = "Kirim laporan";
      button.disabled = state.done;
    }
  }

  // ---- start ----
  async function loadCategories() {
    try {
      const response = await fetch("/form/categories.json");
      if (!response.ok) return;
      const data = await response.json();
      if (data.city) $("city-name").textContent = data.city;
      const select = $("category");
      for (const c of data.categories || []) select.appendChild(el("option", { value: c.name }, c.name));
    } catch (err) {
      // the form still works: the category is then classified from the description
    }
  }

  async function loadMap() {
    try {
      const response = await fetch("/form/areas.geojson");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      drawAreas(await response.json());
      svg.dataset.ready = "true";
    } catch (err) {
      $("map-status").textContent =
        "Peta tidak dapat dimuat. Isi alamat atau gunakan lokasi Anda.";
    }
  }

  form.addEventListener("submit", submit);
  $("photos").addEventListener("change", showPhotos);
  $("description").addEventListener("input", () => {
    if ($("description").value.trim()) fieldError("description", "description-error", "");
  });
  bindMap();
  const ready = Promise.all([loadCategories(), loadMap()]);

  // For tests and embedding pages: where a place is on screen, which kelurahan holds it.
  window.balaiWarga = {
    ready,
    clientPoint: (lat, lon) => lonLatToClient(lon, lat),
    areaAt: (lat, lon) => {
      const area = areaAt(lon, lat);
      return area ? { ...area.props } : null;
    },
    pick: () => (state.pick ? { lat: state.pick.lat, lon: state.pick.lon } : null),
  };
})();
