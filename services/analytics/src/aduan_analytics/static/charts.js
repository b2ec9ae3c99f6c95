// The dashboard's two charts with Chart.js (served by this service from npm, never a CDN):
// the daily trend (reports received as bars, done as a line) and reports per category.
// Each chart is made once and then given new data. Without Chart.js `available()` is false
// and the page's tables carry the same figures.
(() => {
  "use strict";

  const COLORS = { received: "#0b5cab", done: "#1b7a3d", bar: "#0b5cab", grid: "#e3e7ec" };
  const charts = new Map(); // canvas -> Chart

  const available = () => typeof window.Chart === "function";

  if (available()) {
    window.Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
    window.Chart.defaults.color = "#1d2733";
  }

  function upsert(canvas, config) {
    const existing = charts.get(canvas);
    if (existing) {
      existing.data = config.data;
      existing.update();
      return;
    }
    charts.set(canvas, new window.Chart(canvas, config));
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
    };
  }

  // A long label as lines of at most `width` characters (whole words).
  function wrapLabel(text, width) {
    const lines = [];
    for (const word of String(text).split(/\s+/)) {
      const last = lines.length - 1;
      if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
      else lines.push(word);
    }
    return lines.length > 1 ? lines : lines[0];
  }

  // days: [{date, received, done}]; label(date) → the axis text of a day.
  function trend(canvas, days, label) {
    upsert(canvas, {
      type: "bar",
      data: {
        labels: days.map((d) => label(d.date)),
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

  // categories: [{category, count}], most reported first; one horizontal bar each.
  function categories(canvas, rows) {
    upsert(canvas, {
      type: "bar",
      data: {
        labels: rows.map((c) => c.category),
        datasets: [{ label: "Laporan", data: rows.map((c) => c.count), backgroundColor: COLORS.bar, borderRadius: 2 }],
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

  window.AduanCharts = { available, trend, categories };
})();
