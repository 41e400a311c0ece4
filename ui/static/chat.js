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

  // The latest answer opens at its first line. The chat does not follow the end of the text
  // (autoscroll is off): when an answer starts, its top is scrolled to the top of the chat box
  // and kept there while it fills in; when it is done, its first line is announced politely.
  var BOT = "#chat [data-testid=bot]";
  var FINAL = /Answered with|don't answer|could not answer|Not sent|Too many questions|Reopened|new conversation/;
  var REFUSED_TO_SEND = /Not sent|Too many questions/;
  var followed = null;
  var announcedFor = null;

  function chatScroller() {
    var chat = document.getElementById("chat");
    if (!chat) {
      return null;
    }
    var candidates = [chat].concat(Array.prototype.slice.call(chat.querySelectorAll("*")));
    for (var i = 0; i < candidates.length; i++) {
      var el = candidates[i];
      if (el.scrollHeight > el.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(el).overflowY)) {
        return el;
      }
    }
    return null;
  }

  function latestAnswer() {
    var bots = document.querySelectorAll(BOT);
    return bots.length ? bots[bots.length - 1] : null;
  }

  function showTop(answer) {
    var scroller = chatScroller();
    if (scroller) {
      // Below the chat's own label ("Conversation"), which sits over the top of the box.
      var label = document.querySelector("#chat [data-testid=block-label]");
      var room = label ? Math.max(8, label.getBoundingClientRect().bottom - scroller.getBoundingClientRect().top + 6) : 8;
      var offset = answer.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      if (Math.abs(offset - room) > 2) {
        scroller.scrollTop += offset - room;
      }
    }
    var top = answer.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 40) {
      window.scrollBy(0, top - 8); // the page itself scrolls too (a short embed frame)
    }
  }

  function statusText() {
    var el = document.getElementById("status");
    return el ? el.innerText : "";
  }

  function followLatestAnswer() {
    var answer = latestAnswer();
    if (!answer) {
      followed = null;
      return;
    }
    var count = document.querySelectorAll(BOT).length;
    var pending = !!answer.querySelector(".answer-pending");
    var key = count + ":" + (answer.innerText || "").length;
    if (followed === null || followed.count !== count || pending || followed.pending) {
      showTop(answer); // a new answer, or one still filling in (or just finished)
    }
    followed = { count: count, pending: pending };
    if (!pending && announcedFor !== key && FINAL.test(statusText())) {
      announcedFor = key;
      var lines = (answer.innerText || "").split("\n").map(function (l) { return l.trim(); });
      var searched = answer.querySelector(".searched-for");
      var skip = searched ? searched.innerText.trim() : null;
      var first = lines.filter(function (l) { return l && l !== skip; })[0] || "";
      announceAnswer(first.length > 300 ? first.slice(0, 299) + "…" : first);
    }
  }

  var answerAnnouncer = null;
  function announceAnswer(text) {
    if (!answerAnnouncer) {
      answerAnnouncer = document.createElement("div");
      answerAnnouncer.id = "answer-announcer";
      answerAnnouncer.className = "visually-hidden";
      answerAnnouncer.setAttribute("role", "status");
      answerAnnouncer.setAttribute("aria-live", "polite");
      document.body.appendChild(answerAnnouncer);
    }
    answerAnnouncer.textContent = "";
    window.setTimeout(function () { answerAnnouncer.textContent = "Answer: " + text; }, 50);
  }

  var following = false;
  new MutationObserver(function () {
    if (!following) {
      following = true;
      window.requestAnimationFrame(function () {
        following = false;
        followLatestAnswer();
        watchAfterMutation();
      });
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });

  // When the server goes away: every question asked is watched until its answer is final. While
  // it is not, the page checks every 2 s that the server still answers (any HTTP reply will do):
  // a refused connection, two probes of 4 s without a reply, or two minutes without anything
  // moving, and the status line and the answer say so, and the question goes back into the box
  // for Ask to send again.
  var OUTAGE = "The assistant could not be reached. Your question is kept: press Ask to try again.";
  var STALLED = "The assistant has not replied for two minutes. Your question is kept: press Ask to try again.";
  var PROBE_EVERY_MS = 2000;
  var PROBE_TIMEOUT_MS = 4000;
  var SLOW_PROBES = 2;
  var STALL_MS = 120000;
  var watch = null;

  function questionBox() {
    return document.querySelector("#question textarea");
  }

  function clearOutage() {
    document.querySelectorAll(".outage-note").forEach(function (el) { el.remove(); });
    document.querySelectorAll(".outage").forEach(function (el) { el.classList.remove("outage"); });
  }

  function startWatch() {
    var box = questionBox();
    var text = box ? box.value : "";
    if (!text.trim()) {
      return;
    }
    clearOutage();
    forget();
    if (watch) {
      window.clearInterval(watch.timer);
    }
    var answer = latestAnswer();
    watch = {
      question: text,
      status: statusText(),
      answers: document.querySelectorAll(BOT).length,
      answer: answer ? answer.innerText : "",
      moved: Date.now(),
      probing: false,
    };
    watch.timer = window.setInterval(checkWatch, PROBE_EVERY_MS);
  }

  function watchAfterMutation() {
    if (!watch) {
      return;
    }
    watch.moved = Date.now();
    var now = statusText();
    var answer = latestAnswer();
    var count = document.querySelectorAll(BOT).length;
    var answered = answer && !answer.querySelector(".answer-pending") &&
      (count !== watch.answers || answer.innerText !== watch.answer) && FINAL.test(now);
    var refused = now !== watch.status && REFUSED_TO_SEND.test(now); // nothing new in the chat
    if (answered || refused) {
      stopWatch();
    }
  }

  function stopWatch() {
    if (watch) {
      window.clearInterval(watch.timer);
      watch = null;
    }
  }

  function checkWatch() {
    if (!watch || watch.probing) {
      return;
    }
    if (Date.now() - watch.moved > STALL_MS) {
      giveUp(STALLED);
      return;
    }
    watch.probing = true;
    // A refused connection fails the probe at once; a reply slower than the probe's timeout
    // (a busy server) counts only when the next probe is slow too.
    var controller = new AbortController();
    var timedOut = false;
    var timer = window.setTimeout(function () { timedOut = true; controller.abort(); }, PROBE_TIMEOUT_MS);
    fetch(new URL("theme.css", document.baseURI), { method: "HEAD", cache: "no-store", signal: controller.signal })
      .then(function () {
        if (watch) {
          watch.probing = false;
          watch.slow = 0;
        }
      })
      .catch(function () {
        if (!watch) {
          return;
        }
        watch.probing = false;
        watch.slow = timedOut ? (watch.slow || 0) + 1 : SLOW_PROBES;
        if (watch.slow >= SLOW_PROBES) {
          giveUp(OUTAGE);
        }
      })
      .finally(function () { window.clearTimeout(timer); });
  }

  function note(text) {
    var p = document.createElement("p");
    p.className = "outage-note";
    p.textContent = text;
    return p;
  }

  // Gradio reloads the page by itself once the server is back: the kept question survives it.
  var KEPT = "council-assistant-kept-question";
  var BACK = "The assistant is back. Your question is kept: press Ask to send it.";

  function keep(question) {
    try {
      window.sessionStorage.setItem(KEPT, question);
    } catch (e) {}
  }

  function kept() {
    try {
      return window.sessionStorage.getItem(KEPT);
    } catch (e) {
      return null;
    }
  }

  function forget() {
    try {
      window.sessionStorage.removeItem(KEPT);
    } catch (e) {}
  }

  function putBack(question) {
    var box = questionBox();
    if (box && box.value !== question) {
      box.value = question;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function restoreKept() {
    var question = kept();
    if (!question) {
      return;
    }
    var tries = 0;
    var timer = window.setInterval(function () {
      tries += 1;
      if (kept() !== question) {
        window.clearInterval(timer); // asked again (or something else) meanwhile
        return;
      }
      var box = questionBox();
      var status = document.getElementById("status");
      if (!box || !status || !document.querySelector("#chat")) {
        return;
      }
      putBack(question); // again until the page's own start-up has settled
      if (!status.querySelector(".outage-note")) {
        status.classList.add("outage");
        status.appendChild(note(BACK));
      }
      if (tries > 20) {
        window.clearInterval(timer);
      }
    }, 250);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restoreKept);
  } else {
    restoreKept();
  }

  function giveUp(message) {
    if (!watch) {
      return;
    }
    var question = watch.question;
    keep(question);
    stopWatch();
    clearOutage();
    var status = document.getElementById("status");
    if (status) {
      status.classList.add("outage");
      status.appendChild(note(message));
    }
    var answer = latestAnswer();
    if (answer && answer.querySelector(".answer-pending")) {
      answer.classList.add("outage");
      answer.appendChild(note(message));
    }
    // Put back, and told to the page's own state (the box may show text the page has dropped).
    var box = questionBox();
    if (box && (!box.value.trim() || box.value === question)) {
      box.value = "";
      putBack(question);
    }
  }

  document.addEventListener(
    "keydown",
    function (event) {
      if (event.key === "Enter" && !event.shiftKey && event.target === questionBox()) {
        startWatch();
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      if (event.target.closest && event.target.closest("#ask-button")) {
        startWatch();
      }
    },
    true
  );

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
