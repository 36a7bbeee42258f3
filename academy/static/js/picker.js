// Type-ahead fields: <input list="..." data-picker="/agencies/search.json"> (or /people/search.json).
// As the user types, the datalist is filled with "code name" of what matches; the server reads
// the code at the start of the value. Without script the field still takes a code typed in full.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[data-picker]");
  Array.prototype.forEach.call(inputs, function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var last = "";
    if (!list) { return; }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) { return; }
        last = q;
        fetch(input.dataset.picker + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.code + " " + item.name;
              list.appendChild(option);
            });
          })
          .catch(function () { /* the field still takes a code typed in full */ });
      }, 200);
    });
  });
})();
