/* settings: CRM settings screens. No inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";
  var HEX = /^#[0-9a-fA-F]{6}$/;
  // Buttons with data-confirm ask before a destructive POST (without JavaScript they just post).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.closest(".settings-page")) { return; }
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  // Tag colour swatches: set through the CSSOM (allowed by the CSP), never a style attribute.
  function paint() {
    document.querySelectorAll(".tag-swatch[data-color]").forEach(function (el) {
      var color = el.getAttribute("data-color");
      if (HEX.test(color)) { el.style.backgroundColor = color; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", paint);
  } else {
    paint();
  }
})();
