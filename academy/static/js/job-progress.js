// A job's page: polls the job's small status JSON and moves the progress bar; reloads once when it ends.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || box.dataset.finished === "true") return;
  var bar = document.getElementById("job-progress");
  var percent = box.querySelector("[data-job-percent]");
  var count = box.querySelector("[data-job-count]");
  var delay = 1000;
  function poll() {
    fetch(box.dataset.jobStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { delay = Math.min(delay * 2, 15000); return; }
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        percent.textContent = job.percent + "%";
        count.textContent = job.done + (job.total ? " / " + job.total : "");
        if (job.finished) { window.location.reload(); return; }
        delay = 1000;
      })
      .catch(function () { delay = Math.min(delay * 2, 15000); })
      .finally(function () { setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
