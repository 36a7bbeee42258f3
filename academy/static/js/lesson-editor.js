// Live preview of a lesson's body: as the author types (Markdown or HTML), the server renders and
// sanitises the text exactly as saving would, and the preview shows the result.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form) { return; }
  var url = form.dataset.previewUrl;
  var token = form.querySelector("input[name=csrf_token]");
  var areas = form.querySelectorAll("textarea[data-preview]");

  function format() {
    var chosen = form.querySelector("input[name=body_format]:checked");
    return chosen ? chosen.value : "markdown";
  }

  function refresh(area) {
    var target = document.getElementById(area.dataset.preview);
    if (!target) { return; }
    var body = new FormData();
    body.append("csrf_token", token ? token.value : "");
    body.append("format", format());
    body.append("text", area.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        // The server's sanitiser has reduced it to the allowed subset, as it does on saving.
        if (data) { target.innerHTML = data.html; }
      })
      .catch(function () { /* the preview waits for the next change */ });
  }

  Array.prototype.forEach.call(areas, function (area) {
    var timer = null;
    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { refresh(area); }, 400);
    });
    refresh(area);
  });
  Array.prototype.forEach.call(form.querySelectorAll("input[name=body_format]"), function (radio) {
    radio.addEventListener("change", function () { Array.prototype.forEach.call(areas, refresh); });
  });
})();
