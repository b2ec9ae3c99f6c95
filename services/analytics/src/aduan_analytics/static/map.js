// The kelurahan choropleth of the public dashboard: the polygons of /v1/public/by-kelurahan drawn
// as SVG (no tiles), coloured by report count in up to four classes above zero.
// Usage: const map = AduanChoropleth.create(svg, geojson, { describe, onShow });
//        const classes = map.update(geojson.features, kota);  // [{cls, low, high}] for a legend
(() => {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const UNITS = 10000; // projected units per degree (keeps path numbers short)
  const SHADES = 4; // c1 lightest … c4 darkest; c0 is "no report"

  function svgEl(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

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

  function outerBbox(polys) {
    let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
    for (const rings of polys) {
      for (const [lon, lat] of rings[0]) {
        w = Math.min(w, lon); e = Math.max(e, lon); s = Math.min(s, lat); n = Math.max(n, lat);
      }
    }
    return [w, s, e, n];
  }

  function union(boxes) {
    return [
      Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
      Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3])),
    ];
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

  // The legend's classes: "c0" for none, then the breaks spread over the palette.
  function classesOf(uppers) {
    const classes = [{ cls: "c0", low: 0, high: 0 }];
    let low = 1;
    uppers.forEach((high, i) => {
      classes.push({ cls: `c${Math.round(((i + 1) * SHADES) / uppers.length)}`, low, high });
      low = high + 1;
    });
    return classes;
  }

  function create(svg, geo, { describe, onShow }) {
    const view = geo.view || geo.bbox;
    const project = projector(view);
    const areas = new Map(); // kode -> {path, bbox, props}
    const layer = svgEl("g", { class: "areas" });
    for (const feature of geo.features) {
      const polys = polygonsOf(feature.geometry);
      const path = svgEl("path", { d: pathData(polys, project) });
      path.dataset.kode = feature.properties.kode;
      path.appendChild(svgEl("title"));
      layer.appendChild(path);
      areas.set(feature.properties.kode, { path, bbox: outerBbox(polys), props: feature.properties });
    }
    svg.replaceChildren(layer);

    function show(target, pick) {
      const kode = target && target.dataset ? target.dataset.kode : undefined;
      const area = kode ? areas.get(kode) : null;
      for (const old of svg.querySelectorAll("path.hover")) old.classList.remove("hover");
      if (pick) for (const old of svg.querySelectorAll("path.picked")) old.classList.remove("picked");
      if (area) area.path.classList.add(pick ? "picked" : "hover");
      onShow(area ? area.props : null, pick);
    }
    svg.addEventListener("pointermove", (e) => show(e.target, false));
    svg.addEventListener("pointerleave", () => show(null, false));
    svg.addEventListener("click", (e) => show(e.target, true));

    // Fit the viewBox to the kota's kelurahan (kode prefix), or to the city's first view.
    function fit(kota) {
      const boxes = kota
        ? [...areas.values()].filter((a) => a.props.kode.startsWith(`${kota}.`)).map((a) => a.bbox)
        : [];
      const bbox = boxes.length ? union(boxes) : view;
      const [x0, y0] = project(bbox[0], bbox[3]);
      const [x1, y1] = project(bbox[2], bbox[1]);
      const pad = Math.max(x1 - x0, y1 - y0) * 0.03;
      svg.setAttribute("viewBox", `${x0 - pad} ${y0 - pad} ${x1 - x0 + 2 * pad} ${y1 - y0 + 2 * pad}`);
    }

    return {
      // New counts: classes, titles, the kota's kelurahan highlighted and in view.
      update(features, kota) {
        const classes = classesOf(classBreaks(features.map((f) => f.properties.count)));
        const classOf = (n) => classes.find((c) => n >= c.low && n <= c.high).cls;
        for (const feature of features) {
          const area = areas.get(feature.properties.kode);
          if (!area) continue;
          area.props = feature.properties;
          const outside = kota && !area.props.kode.startsWith(`${kota}.`);
          area.path.setAttribute("class", classOf(area.props.count) + (outside ? " dim" : ""));
          area.path.firstChild.textContent = describe(area.props);
        }
        fit(kota);
        return classes;
      },
      props: (kode) => (areas.has(kode) ? areas.get(kode).props : null),
      // Where (lat, lon) is on screen now, through the SVG's own transform.
      clientPoint(lat, lon) {
        const [x, y] = project(lon, lat);
        const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
        return { x: p.x, y: p.y };
      },
    };
  }

  window.AduanChoropleth = { create, classBreaks };
})();
