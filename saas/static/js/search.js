/* search: the global search dialog. No inline scripts anywhere (the CSP forbids them).
 *
 * Ctrl/Cmd+K, a click in the top bar's search box or typing in it opens a modal <dialog>
 * (showModal makes the page behind it inert; Tab is kept inside the dialog as well). As the
 * user types, the results partial is fetched (debounced, older requests aborted) and shown
 * grouped. Arrow keys move between the input and the result links, Enter opens the focused
 * link, Esc closes and gives focus back to where it was. Without JavaScript the top bar box
 * is a plain form to the results page.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 180;
  var MIN_LENGTH = 2;

  function init() {
    var dialog = document.getElementById("search-dialog");
    if (!dialog || typeof dialog.showModal !== "function") return;
    var input = document.getElementById("search-dialog-q");
    var results = document.getElementById("search-dialog-results");
    var opener = document.querySelector("[data-search-open]");
    var url = dialog.getAttribute("data-results-url");
    var timer = null;
    var controller = null;
    var lastQuery = null;
    var returnFocus = null;

    function links() {
      return Array.prototype.slice.call(results.querySelectorAll("a.search-hit"));
    }

    function load(query) {
      if (query === lastQuery) return;
      lastQuery = query;
      if (controller) controller.abort();
      if (query.trim().length < MIN_LENGTH) {
        results.textContent = "";
        return;
      }
      controller = new AbortController();
      var target = url + "?q=" + encodeURIComponent(query);
      fetch(target, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          // Server-rendered and escaped by Django's templates; never built from user text here.
          results.innerHTML = html;
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          results.textContent = dialog.getAttribute("data-error") || "";
        });
    }

    function open(initial) {
      if (dialog.open) return;
      returnFocus = document.activeElement;
      if (typeof initial === "string") input.value = initial;
      dialog.showModal();
      input.focus();
      input.select();
      lastQuery = null;
      load(input.value);
    }

    function close() {
      if (dialog.open) dialog.close();
    }

    dialog.addEventListener("close", function () {
      if (controller) controller.abort();
      if (opener) opener.value = "";
      if (returnFocus && typeof returnFocus.focus === "function") returnFocus.focus();
    });

    // Click on the backdrop (the dialog element itself, outside its content box) closes.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) close();
    });

    var closeButton = dialog.querySelector("[data-search-close]");
    if (closeButton) closeButton.addEventListener("click", close);

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        load(input.value);
      }, DEBOUNCE_MS);
    });

    // Enter in the input with results: open the first one (the form would go to the page).
    dialog.querySelector("form").addEventListener("submit", function (event) {
      var first = links()[0];
      if (first && input.value === lastQuery) {
        event.preventDefault();
        window.location.assign(first.href);
      }
    });

    dialog.addEventListener("keydown", function (event) {
      var items = links();
      var index = items.indexOf(document.activeElement);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!items.length) return;
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = index + step;
        if (index === -1) next = step === 1 ? 0 : items.length - 1;
        if (next < 0 || next >= items.length) {
          input.focus();
        } else {
          items[next].focus();
        }
      } else if (event.key === "Tab") {
        // Keep Tab inside the dialog (showModal already makes the page inert).
        var focusable = [input].concat(closeButton ? [closeButton] : [], items);
        var at = focusable.indexOf(document.activeElement);
        if (event.shiftKey && at <= 0) {
          event.preventDefault();
          focusable[focusable.length - 1].focus();
        } else if (!event.shiftKey && at === focusable.length - 1) {
          event.preventDefault();
          focusable[0].focus();
        }
      } else if (index !== -1 && event.key.length === 1 && !event.ctrlKey && !event.metaKey) {
        // Typing while a result has focus goes on editing the query.
        input.focus();
      }
    });

    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        if (dialog.open) {
          input.focus();
          input.select();
        } else {
          open();
        }
      }
    });

    if (opener) {
      opener.addEventListener("click", function () {
        open(opener.value);
      });
      opener.addEventListener("input", function () {
        open(opener.value);
      });
      opener.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown") {
          event.preventDefault();
          open(opener.value);
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
