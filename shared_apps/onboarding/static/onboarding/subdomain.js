// Live subdomain availability and a subdomain suggested from the company name on the
// onboarding form. Loaded from a static file (no inline script), so it works under a
// Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  var form = document.querySelector("form[data-check-url]");
  if (!form) return;
  var input = form.querySelector("input[name='subdomain']");
  var status = document.getElementById("subdomain-status");
  if (!input || !status) return;
  var checkUrl = form.getAttribute("data-check-url");
  var timer = null;
  var latest = 0;

  function show(available, message) {
    status.textContent = message;
    status.className = available ? "ok" : "errors";
    input.setAttribute("aria-invalid", available ? "false" : "true");
  }

  function check() {
    var value = input.value.trim().toLowerCase();
    if (!value) {
      status.textContent = "";
      status.className = "";
      input.removeAttribute("aria-invalid");
      return;
    }
    var ticket = ++latest;
    fetch(checkUrl + "?subdomain=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        // Answers can arrive out of order; only the newest one counts.
        if (data && ticket === latest) show(data.available, data.message);
      })
      .catch(function () {
        /* the server checks again on submit */
      });
  }

  input.addEventListener("input", function () {
    // Typed by the person: no longer replaced by suggestions from the name.
    edited = input.value.trim() !== "";
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 250);
  });

  // A subdomain suggested from the company name while the person has not typed their own
  // (the server transliterates, and skips reserved and taken names).
  var nameInput = form.querySelector("input[name='name']");
  var suggestUrl = form.getAttribute("data-suggest-url");
  var edited = input.value.trim() !== "";
  var suggestTimer = null;
  var latestSuggestion = 0;

  function suggest() {
    var name = nameInput.value.trim();
    if (edited || !name) return;
    var ticket = ++latestSuggestion;
    fetch(suggestUrl + "?name=" + encodeURIComponent(name), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (!data || ticket !== latestSuggestion || edited || !data.subdomain) return;
        input.value = data.subdomain;
        check();
      })
      .catch(function () {
        /* the server suggests one on submit if the field is left empty */
      });
  }

  if (nameInput && suggestUrl) {
    nameInput.addEventListener("input", function () {
      window.clearTimeout(suggestTimer);
      suggestTimer = window.setTimeout(suggest, 300);
    });
  }
})();
