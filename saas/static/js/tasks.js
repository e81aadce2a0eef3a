/* tasks: CRM tasks screens. No inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";
  // A delete button with data-confirm asks first (a plain POST without JavaScript).
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.closest(".task-delete, .notifications")) { return; }
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  // After htmx swaps a task row, keep keyboard focus on its toggle button.
  document.addEventListener("htmx:afterSwap", function (event) {
    var row = event.detail && event.detail.target;
    if (!row || !row.classList || !row.classList.contains("task")) { return; }
    var button = document.querySelector("#" + row.id + " .task-check");
    if (button) { button.focus(); }
  });
})();
