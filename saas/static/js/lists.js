/* lists: CRM lists screens. No inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";

  function rowBoxes(table) {
    return Array.prototype.slice.call(table.querySelectorAll("input.js-row-select"));
  }

  // "Select all on this page" checkbox, kept in step with the row checkboxes.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    var table = target.closest("table");
    if (!table) return;
    if (target.classList.contains("js-select-all")) {
      rowBoxes(table).forEach(function (box) { box.checked = target.checked; });
    } else if (target.classList.contains("js-row-select")) {
      var all = table.querySelector("input.js-select-all");
      var boxes = rowBoxes(table);
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      if (all) {
        all.checked = ticked === boxes.length && ticked > 0;
        all.indeterminate = ticked > 0 && ticked < boxes.length;
      }
    }
  });

  // Ask before a bulk delete (the server refuses roles that may not delete anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "bulk-form") return;
    var action = form.querySelector("select[name=action]");
    var button = form.querySelector(".js-bulk-submit");
    if (action && action.value === "delete" && button) {
      if (!window.confirm(button.getAttribute("data-confirm-delete") || "")) {
        event.preventDefault();
      }
    }
  });
})();
