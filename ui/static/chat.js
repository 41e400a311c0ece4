/*
 * Council document assistant: the chat page's own behaviour (inlined into the page head).
 *
 * - The status lines are live regions (WCAG 4.1.3): screen readers announce "Answered with 2
 *   cited sources", "Too many questions" and the like. Gradio's Markdown has no ARIA options.
 * - An answer's [n] opens its passage, scrolls to it and moves the focus there.
 * - Each answer's Copy, Copy as Markdown, Download and Print use the clean text and Markdown
 *   that the server rendered into the message (hidden <pre> elements): no markup is copied.
 */
(function () {
  "use strict";
  var LIVE = ["status", "admin-status"];

  function markLiveRegions() {
    LIVE.forEach(function (id) {
      var el = document.getElementById(id);
      if (el && !el.hasAttribute("role")) {
        el.setAttribute("role", "status");
        el.setAttribute("aria-live", "polite");
      }
    });
  }

  // Where the chat panel starts (the header above it wraps differently at every width): the CSS
  // sizes the panel to the rest of the window, so the question box and notices stay in view.
  var fitting = false;
  function fitChat() {
    fitting = false;
    var panel = document.getElementById("chat-panel");
    if (!panel || !panel.offsetParent) {
      return; // not built yet, or on another tab
    }
    var top = Math.round(panel.getBoundingClientRect().top + window.scrollY);
    var current = document.documentElement.style.getPropertyValue("--chat-panel-top");
    if (current !== top + "px") {
      document.documentElement.style.setProperty("--chat-panel-top", top + "px");
    }
  }
  function later() {
    if (!fitting) {
      fitting = true;
      window.requestAnimationFrame(fitChat);
    }
  }
  window.addEventListener("resize", later);
  new MutationObserver(function () {
    markLiveRegions();
    later();
  }).observe(document.documentElement, { childList: true, subtree: true });

  var announcer = null;
  function announce(text) {
    if (!announcer) {
      announcer = document.createElement("div");
      announcer.id = "answer-action-status";
      announcer.className = "visually-hidden";
      announcer.setAttribute("role", "status");
      announcer.setAttribute("aria-live", "polite");
      document.body.appendChild(announcer);
    }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function openSource(link) {
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return false;
    }
    target.open = true;
    target.scrollIntoView({ block: "nearest" });
    var summary = target.querySelector("summary");
    if (summary) {
      summary.focus({ preventScroll: true });
    }
    target.classList.add("source-opened");
    window.setTimeout(function () { target.classList.remove("source-opened"); }, 2000);
    return true;
  }

  function exported(message, kind) {
    var pre = message.querySelector("pre.export-" + kind);
    return pre ? pre.textContent : "";
  }

  function questionOf(message) {
    var first = exported(message, "text").split("\n")[0];
    return first.replace(/^Question: /, "");
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position:fixed;top:0;left:-9999px;";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return fallbackCopy(text); }
      );
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function download(message) {
    var slug = questionOf(message).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    var blob = new Blob([exported(message, "markdown")], { type: "text/markdown;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = "answer-" + (slug || "council-documents") + ".md";
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  var PRINT_CSS =
    "body{font:12pt/1.5 system-ui,sans-serif;color:#111827;background:#fff;margin:2rem auto;max-width:46rem;padding:0 1rem}" +
    "h1{font-size:1.4rem;margin:0 0 .5rem}.question{font-weight:600}" +
    "a{color:#1d4ed8}a.cite-ref{text-decoration:none;color:#111827}" +
    "ol.sources{padding-left:1.2rem}details.citation{margin:.4rem 0}summary{font-weight:600;list-style:none}" +
    "blockquote{margin:.3rem 0 .6rem;padding-left:.7rem;border-left:4px solid #1d4ed8}" +
    "mark{background:#fde68a;color:#111827}footer{margin-top:2rem;font-size:.9rem;color:#374151}" +
    "@media print{a{color:#111827}a[href^='http']::after{content:' <' attr(href) '>';font-size:.85em}}";

  function printView(message) {
    var view = window.open("", "_blank");
    if (!view) {
      announce("The printable view was blocked: allow pop-ups, or use Download.");
      return;
    }
    var doc = view.document;
    doc.documentElement.lang = "en";
    doc.title = "Answer: " + questionOf(message);
    var style = doc.createElement("style");
    style.textContent = PRINT_CSS;
    doc.head.appendChild(style);
    var main = doc.createElement("main");
    var heading = doc.createElement("h1");
    heading.textContent = "Answer from the council documents";
    var question = doc.createElement("p");
    question.className = "question";
    question.textContent = "Question: " + questionOf(message);
    var body = message.cloneNode(true);
    body.querySelectorAll(".answer-actions, .sources-hint, pre[hidden], button").forEach(function (el) { el.remove(); });
    body.querySelectorAll("details").forEach(function (el) { el.open = true; });
    body.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    var footer = doc.createElement("footer");
    footer.textContent = "From the council document assistant (" + location.origin + "), " +
      new Date().toLocaleString("en-GB") + ". Check each source before relying on it.";
    main.appendChild(heading);
    main.appendChild(question);
    main.appendChild(doc.importNode(body, true));
    main.appendChild(footer);
    doc.body.appendChild(main);
    view.focus();
    view.setTimeout(function () { view.print(); }, 300);
  }

  function act(button) {
    var message = button.closest(".message-content") || button.closest("[data-testid=bot]");
    if (!message) {
      return;
    }
    var done = function (what) {
      return function (ok) {
        announce(ok ? "Copied the answer " + what + "." : "Could not copy: select the text and copy it.");
        var label = button.textContent;
        button.textContent = ok ? "Copied" : "Copy failed";
        window.setTimeout(function () { button.textContent = label; }, 1500);
      };
    };
    if (button.classList.contains("action-copy-text")) {
      copy(exported(message, "text")).then(done("as plain text"));
    } else if (button.classList.contains("action-copy-markdown")) {
      copy(exported(message, "markdown")).then(done("as Markdown"));
    } else if (button.classList.contains("action-download")) {
      download(message);
      announce("Downloaded the answer as a Markdown file.");
    } else if (button.classList.contains("action-print")) {
      printView(message);
    }
  }

  document.addEventListener(
    "click",
    function (event) {
      if (!event.target.closest) {
        return;
      }
      var link = event.target.closest("a.cite-ref");
      if (link) {
        if (openSource(link)) {
          event.preventDefault();
        }
        return;
      }
      var button = event.target.closest("button.answer-action");
      if (button) {
        event.preventDefault();
        event.stopPropagation();
        act(button);
      }
    },
    true
  );
})();
