// Draws the HR report charts from the JSON block #report-chart-data (the same figures
// are in the tables beside them): half-circle gauges against the target, and bar or
// line charts with the target as a dashed line.
(function () {
  "use strict";
  var block = document.getElementById("report-chart-data");
  if (!block || typeof Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var BRAND = "#123b73", SECOND = "#6c8ebf", REST = "#e6ebf2", TARGET = "#a4161a";
  // Canvas text needs the page's Thai font, or Thai labels draw as empty boxes.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function gauge(canvas, figures, labels) {
    var value = Math.max(0, Math.min(100, figures.value));
    var target = Math.max(0, Math.min(100, figures.target));
    new Chart(canvas, {
      type: "doughnut",
      data: {
        labels: [labels.value, labels.rest],
        datasets: [
          { data: [value, 100 - value], backgroundColor: [value >= target ? "#1e6b34" : BRAND, REST], borderWidth: 0 },
          // The thin inner ring marks the target.
          { data: [target, 100 - target], backgroundColor: [TARGET, "transparent"], borderWidth: 0, weight: 0.25 }
        ]
      },
      options: {
        rotation: -90, circumference: 180, cutout: "60%", responsive: true, maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (item) {
                var name = item.datasetIndex === 1 ? labels.target : item.label;
                return item.dataIndex === 0 ? name + ": " + item.raw.toFixed(2) + "%" : "";
              }
            }
          }
        }
      }
    });
  }

  function chart(canvas, spec) {
    var colours = [BRAND, SECOND];
    var datasets = spec.series.map(function (series, index) {
      return {
        type: spec.kind, label: series.label, data: series.data, spanGaps: false,
        backgroundColor: colours[index % colours.length], borderColor: colours[index % colours.length],
        fill: false, tension: 0.1, order: 2
      };
    });
    if (spec.target) {
      datasets.push({
        type: "line", label: spec.target.label, data: spec.labels.map(function () { return spec.target.value; }),
        borderColor: TARGET, borderDash: [6, 4], borderWidth: 2, pointRadius: 0, fill: false, order: 1
      });
    }
    var values = [];
    datasets.forEach(function (d) { values = values.concat(d.data.filter(function (v) { return v !== null; })); });
    new Chart(canvas, {
      type: spec.kind,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, max: spec.percent ? 100 : undefined,
               ticks: { callback: function (v) { return spec.percent ? v + "%" : v; } } },
          x: { ticks: { autoSkip: values.length > 60 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  document.querySelectorAll("canvas[data-gauge]").forEach(function (canvas) {
    var figures = data.gauges && data.gauges[canvas.dataset.gauge];
    if (figures) { gauge(canvas, figures, data.gauges.labels); }
  });
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec = data.charts[canvas.dataset.chart];
    if (spec) { chart(canvas, spec); }
  });
})();
