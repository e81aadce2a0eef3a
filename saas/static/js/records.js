/* records: CRM records screens. No inline scripts anywhere (the CSP forbids them).
 *
 * - "Add another" email/phone rows: clones the last row with the next index.
 * - htmx swaps 400 answers (quick-add forms re-rendered with their errors) instead of
 *   dropping them, for targets inside the record page.
 */
(function () {
  "use strict";

  function renumber(row, index) {
    row.querySelectorAll("input, label, select, div[id], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/_(\d+)(?=(_|$|\b))/, "_" + index));
        }
      });
      if (el.tagName === "INPUT" && el.type === "radio") {
        el.value = String(index);
        el.checked = false;
      } else if (el.tagName === "INPUT") {
        el.value = "";
        el.removeAttribute("aria-invalid");
      }
      if (el.tagName === "LABEL" && /\d+$/.test(el.textContent.trim())) {
        el.textContent = el.textContent.replace(/\d+(\s*)$/, String(index + 1) + "$1");
      }
    });
    row.querySelectorAll(".errorlist").forEach(function (el) { el.remove(); });
  }

  function setupRows(root) {
    root.querySelectorAll("fieldset[data-rows]").forEach(function (fieldset) {
      var button = fieldset.querySelector(".records-add-row");
      if (!button || button.dataset.ready) { return; }
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var rows = fieldset.querySelectorAll("[data-row]");
        var last = rows[rows.length - 1];
        var copy = last.cloneNode(true);
        renumber(copy, rows.length);
        last.after(copy);
        var first = copy.querySelector("input:not([type=radio])");
        if (first) { first.focus(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setupRows(document); });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr ? detail.xhr.status : 0;
    if ((status === 400 || status === 409) && detail.target && detail.target.closest(".record")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
}());
