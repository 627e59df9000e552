// What every page does for a keyboard and a screen reader user.
//
// A form sent back with errors puts the focus on its summary of them, which lists and
// links each (it had stayed on the page's top: a keyboard user's review).
//
// A wide table, chart or command in a box that scrolls sideways (on a phone, at 400 %
// zoom) is reached by the keyboard: while it scrolls, the box takes the focus, named
// after its table, so that the arrow keys scroll it (WCAG 2.1.1; axe's rule
// scrollable-region-focusable, found on fourteen pages at 390 px by a keyboard user's
// review). A box that fits is no tab stop.
(function () {
  "use strict";
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll(".scroll, .chart-scroll, pre.commands, article.guide pre")
  );
  var HEADING = /^(H[1-6]|FIGCAPTION|LEGEND)$/;

  function nameOf(box) {
    var caption = box.querySelector("caption, figcaption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    // the nearest heading before it, in its own section or above
    for (var el = box; el && el !== document.body; el = el.parentElement) {
      for (var prev = el.previousElementSibling; prev; prev = prev.previousElementSibling) {
        if (HEADING.test(prev.tagName)) return prev.textContent.trim();
        var inner = prev.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inner.length) return inner[inner.length - 1].textContent.trim();
      }
    }
    return document.title;
  }

  function update() {
    boxes.forEach(function (box) {
      var own = box.dataset.focusMade === "yes";
      if (!own && box.hasAttribute("tabindex")) return; // the page's own choice
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !own) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", nameOf(box) + " (scrolls sideways)");
          box.dataset.labelMade = "yes";
        }
        box.dataset.focusMade = "yes";
      } else if (!scrolls && own) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        if (box.dataset.labelMade === "yes") box.removeAttribute("aria-label");
        delete box.dataset.focusMade;
        delete box.dataset.labelMade;
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
  window.addEventListener("load", update);
  update();

  var summary = document.getElementById("error-summary");
  if (summary && !document.querySelector("[autofocus]")) summary.focus();

  // A date that may not come before another (data-not-before: that field's id): the
  // browser refuses the form before it is sent. The register's releases of a period with
  // "to" before "from" had opened the API's JSON answer in place of the page (helper-98).
  document.querySelectorAll("input[type=date][data-not-before]").forEach(function (field) {
    var first = document.getElementById(field.dataset.notBefore);
    if (!first) return;
    var floor = field.getAttribute("min") || "";
    var follow = function () {
      field.min = first.value && first.value > floor ? first.value : floor;
    };
    first.addEventListener("change", follow);
    follow();
  });
})();
