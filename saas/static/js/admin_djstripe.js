// dj-stripe's admin confirmations (templates/djstripe/admin/): show the spinner while a sync,
// a cancel or a deletion runs. A static file: the CSP allows no inline script or handler.
(function () {
  "use strict";
  function busy() {
    var main = document.getElementById("main_content");
    var spinner = document.getElementById("div_spinner");
    if (main) {
      main.hidden = true;
    }
    document.querySelectorAll(".messagelist").forEach(function (list) {
      list.hidden = true;
    });
    if (spinner) {
      spinner.hidden = false;
    }
  }
  document.querySelectorAll("form[data-djstripe-spinner], form").forEach(function (form) {
    form.addEventListener("submit", busy);
  });
  document.querySelectorAll("a[data-djstripe-spinner]").forEach(function (link) {
    link.addEventListener("click", busy);
  });
})();
