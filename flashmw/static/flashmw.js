/*! flashmw.js: renders flash notices and dismisses them. No dependencies.
 *
 * Works with the markup of flashmw/notices.html: one container
 * [data-flashmw] (a polite live region) holding .flashmw-notice elements.
 *
 * - Dismiss: hides the notice at once, moves focus to the next notice (or
 *   the previous one, or the container), then POSTs its key or category to
 *   the endpoint so it stays gone. Without this script the same button
 *   submits its form, and the endpoint redirects back.
 * - Renders the `flash` event ({messages, values}) that htmx raises from
 *   the HX-Trigger header, and what flashmw.pull() reads from the endpoint,
 *   with the same markup. Text is set as text; only {"__html__": ...}
 *   (markupsafe.Markup on the server, trusted HTML) is set as HTML.
 */
(function () {
  "use strict";

  var DEFAULT_ALERT = ["error", "danger"];

  function root() {
    return document.querySelector("[data-flashmw]");
  }

  function endpointOf(box) {
    return (box && box.getAttribute("data-endpoint")) || "/_flash";
  }

  function alertsOf(box) {
    var names = box && box.getAttribute("data-alert");
    return names ? names.split(/\s+/) : DEFAULT_ALERT;
  }

  function isHTML(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
      Object.keys(value).length === 1 && typeof value.__html__ === "string";
  }

  function fill(element, value) {
    if (isHTML(value)) {
      element.innerHTML = value.__html__; // Markup: the server vouched for it
    } else {
      element.textContent = typeof value === "string" ? value : JSON.stringify(value);
    }
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  // The same markup as the Jinja2 macro, built with DOM calls (no HTML
  // parsing of server text).
  function build(box, field, kind, value) {
    var urgent = alertsOf(box).indexOf(kind) !== -1;
    var notice = document.createElement("div");
    notice.className = "flashmw-notice flashmw-notice--" +
      String(kind).toLowerCase().replace(/ /g, "-") +
      (urgent ? " flashmw-notice--alert" : "");
    if (field === "key") {
      notice.id = "flash-" + kind;
      notice.setAttribute("data-flashmw-key", kind);
    } else {
      notice.setAttribute("data-flashmw-category", kind);
    }
    notice.setAttribute("role", urgent ? "alert" : "status");
    var text = document.createElement("div");
    text.className = "flashmw-text";
    fill(text, value);
    var form = document.createElement("form");
    form.className = "flashmw-dismiss";
    form.method = "post";
    form.action = endpointOf(box);
    form.appendChild(hidden(field, kind));
    form.appendChild(hidden("next", location.pathname + location.search));
    var button = document.createElement("button");
    button.type = "button";
    button.className = "flashmw-close";
    button.setAttribute("aria-label", "Dismiss notice");
    var cross = document.createElement("span");
    cross.setAttribute("aria-hidden", "true");
    cross.textContent = "\u00d7";
    button.appendChild(cross);
    form.appendChild(button);
    notice.appendChild(text);
    notice.appendChild(form);
    return notice;
  }

  /** Render a {messages, values} state into the container. */
  function render(state) {
    var box = root();
    if (!box || !state) return;
    (state.messages || []).forEach(function (m) {
      box.appendChild(build(box, "category", m.category, m.message));
    });
    var values = state.values || {};
    Object.keys(values).forEach(function (key) {
      var old = document.getElementById("flash-" + key);
      if (old && box.contains(old)) box.removeChild(old); // a new value replaces
      box.appendChild(build(box, "key", key, values[key]));
    });
  }

  function focusAfter(notice, box) {
    var all = Array.prototype.slice.call(box.querySelectorAll(".flashmw-notice"));
    var at = all.indexOf(notice);
    var next = all[at + 1] || all[at - 1];
    var target = next && next.querySelector(".flashmw-close");
    (target || box).focus();
  }

  /** Hide a notice at once, then tell the endpoint so it stays gone. */
  function dismiss(notice) {
    var box = notice.closest("[data-flashmw]") || root();
    var form = notice.querySelector("form.flashmw-dismiss");
    var body = {};
    if (form) {
      Array.prototype.forEach.call(form.elements, function (input) {
        if (input.name === "key" || input.name === "category") body[input.name] = input.value;
      });
    }
    if (box && box.contains(document.activeElement)) focusAfter(notice, box);
    notice.hidden = true;
    notice.parentNode.removeChild(notice);
    if (!body.key && !body.category) return; // never clear everything by accident
    return fetch(form ? form.getAttribute("action") : endpointOf(box), {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    });
  }

  /** Read the endpoint (consuming what is pending) and render it. */
  function pull() {
    return fetch(endpointOf(root()), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(render);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".flashmw-close");
    var notice = button && button.closest(".flashmw-notice");
    if (!notice) return;
    event.preventDefault();
    dismiss(notice);
  });

  document.addEventListener("submit", function (event) {
    var notice = event.target.closest && event.target.closest(".flashmw-notice");
    if (!notice) return;
    event.preventDefault();
    dismiss(notice);
  });

  // htmx raises `flash` from HX-Trigger before it swaps the response in;
  // render after the swap, so a swap that replaces the container keeps it.
  document.addEventListener("flash", function (event) {
    var state = event.detail;
    setTimeout(function () { render(state); }, 0);
  });

  function start() {
    var box = root();
    if (!box) return;
    Array.prototype.forEach.call(box.querySelectorAll(".flashmw-close"), function (button) {
      button.type = "button"; // the form is only for pages without this script
    });
    // A live region that already holds text when the page loads is not
    // announced: take the text out and put it back once the page settled.
    Array.prototype.forEach.call(box.querySelectorAll(".flashmw-text"), function (text) {
      var nodes = Array.prototype.slice.call(text.childNodes);
      if (!nodes.length) return;
      nodes.forEach(function (node) { text.removeChild(node); });
      setTimeout(function () {
        nodes.forEach(function (node) { text.appendChild(node); });
      }, 50);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  window.flashmw = { render: render, pull: pull, dismiss: dismiss };
})();
