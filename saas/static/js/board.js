/* board: the pipeline board. No inline scripts anywhere (the CSP forbids them).
 *
 * Cards move with HTML5 drag and drop: a drop fills in the card's own "Move to…" form and
 * submits it, so the mouse, the keyboard and touch all go through the same htmx request
 * (out-of-band swaps update the card, both columns and the toast). Without JavaScript the
 * same forms post normally and the server redirects back to the board. A move to a lost
 * stage may come back with a question (why was it lost?) in the toast; its form posts the
 * same move again with the reason. */
(function () {
  "use strict";

  var dragged = null;
  var pending = null; // {deal, via: "drag" | "control" | "undo"}
  var more = null; // {list, before} while a "show more" page loads

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  function columnOf(node) {
    return closest(node, ".board-column[data-stage]");
  }

  function clearOver() {
    document.querySelectorAll(".board-column.is-over").forEach(function (column) {
      column.classList.remove("is-over");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = closest(event.target, ".deal-card[draggable='true']");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
    card.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearOver();
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("is-over")) {
      clearOver();
      column.classList.add("is-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    clearOver();
    var card = dragged;
    var form = card.querySelector("form[data-board-move]");
    var select = form && form.querySelector("select[name='stage']");
    if (!select || columnOf(card) === column) return;
    select.value = column.dataset.stage;
    pending = { deal: card.dataset.deal, via: "drag" };
    form.requestSubmit();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-board-move]") && !pending) {
      pending = { deal: form.elements.deal.value, via: "control" };
    } else if (form.matches("form[data-lost-reason]")) {
      pending = { deal: form.elements.deal.value, via: "control" };
    } else if (form.matches("form[data-board-undo]")) {
      pending = { deal: form.elements.deal.value, via: "undo" };
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (closest(target, "[data-board-dismiss]")) {
      var toast = document.getElementById("board-toast");
      if (toast) toast.innerHTML = "";
    } else if (closest(target, "[data-board-reload]")) {
      window.location.reload();
    } else if (closest(target, "a[data-board-more]")) {
      var item = closest(target, "li");
      more = { list: item.parentNode, before: item.previousElementSibling };
    }
  });

  // A refused move (stale, deleted, another pipeline, viewer) answers 4xx with a message
  // for the toast: let htmx swap it instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && closest(event.detail.elt, "[data-board]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (more) {
      var first = more.before ? more.before.nextElementSibling : more.list.firstElementChild;
      more = null;
      if (first && status < 400) first.focus();
    }
    if (!pending) return;
    var move = pending;
    pending = null;
    var card = document.getElementById("deal-" + move.deal);
    if (status >= 400 || status === 0) {
      // Nothing moved: put the card's control back on its current stage.
      var select = card && card.querySelector("select[name='stage']");
      if (select) {
        Array.prototype.forEach.call(select.options, function (option) {
          option.selected = option.defaultSelected;
        });
      }
      // A move to a lost stage asks why (a small form in the toast): take the focus there.
      var ask = document.querySelector("#board-toast form[data-lost-reason] select");
      if (ask) ask.focus();
      return;
    }
    if (move.via === "control") {
      var undo = document.querySelector("#board-toast form[data-board-undo] button");
      (undo || card || document.getElementById("board-toast")).focus();
    } else if (move.via === "undo" && card) {
      card.focus();
    }
  });
})();
