// Draws the required and attained levels of a learner's competencies as bars.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = JSON.parse(document.getElementById("gap-chart-data").textContent);
  var canvas = document.getElementById("gap-chart");
  if (!canvas || typeof Chart === "undefined") { return; }
  // Canvas text needs the page's Thai font, or Thai labels draw as empty boxes.
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: script.dataset.required, data: data.required, backgroundColor: "#c9ced6" },
        { label: script.dataset.attained, data: data.attained, backgroundColor: "#123b73" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: data.max, ticks: { stepSize: 1 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
