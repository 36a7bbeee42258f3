// The header menu: each group is a <details> that works without this script.
// This only closes the other groups when one opens, and all of them on Escape or a click elsewhere.
(function () {
  "use strict";
  var menus = Array.prototype.slice.call(document.querySelectorAll(".site-header details.menu"));
  function closeAll(except) {
    menus.forEach(function (menu) { if (menu !== except) { menu.open = false; } });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () { if (menu.open) { closeAll(menu); } });
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".site-header details.menu")) { closeAll(null); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = menus.filter(function (menu) { return menu.open; })[0];
      closeAll(null);
      if (open) { open.querySelector("summary").focus(); }
    }
  });
})();
