// The portal's one small script (the pages work without it):
// - the header menu: each group is a <details>; this closes the other groups when one opens,
//   and all of them on Escape or a click elsewhere;
// - a table wider than the screen scrolls in its own box: the box gets keyboard focus (tabindex)
//   so that keyboard users can scroll it too.
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
  function focusableScrollers() {
    var boxes = document.querySelectorAll("main table, .main table, .table-scroll");
    Array.prototype.forEach.call(boxes, function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && getComputedStyle(box).overflowX !== "visible";
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);
})();
