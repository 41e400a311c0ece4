/*
 * Council document assistant: put the chat on any intranet page with one script tag.
 *
 *   <script src="https://ASSISTANT-HOST/embed/embed.js" defer></script>
 *
 * By default this adds an "Ask the document assistant" button at the bottom right that opens
 * the chat in a panel (the chat loads only when first opened). Options, as attributes of the
 * script tag:
 *   data-target="#some-id"   show the chat inside that element instead (no button)
 *   data-label="..."         the button's text
 *   data-height="640px"      the chat's height
 *
 * The chat runs in an iframe served by the assistant, so it keeps its own styles and nothing
 * from the host page reaches it. The assistant only lets pages from the origins listed in
 * ASSISTANT_UI__ALLOWED_ORIGINS frame it (default: its own origin only). No secret is needed.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) {
    return;
  }
  var chatUrl = new URL("../chat/", script.src).href;
  var label = script.getAttribute("data-label") || "Ask the document assistant";
  var height = script.getAttribute("data-height") || "640px";
  var target = script.getAttribute("data-target");
  var counter = (window.__councilAssistantCount = (window.__councilAssistantCount || 0) + 1);
  var panelId = "council-assistant-panel-" + counter;

  function makeFrame() {
    var frame = document.createElement("iframe");
    frame.src = chatUrl;
    frame.title = "Council document assistant chat";
    frame.setAttribute("referrerpolicy", "strict-origin");
    frame.setAttribute("allow", "clipboard-write"); // each answer's Copy button
    frame.style.cssText = "width:100%;height:" + height + ";border:1px solid #6b7280;border-radius:8px;background:#fff;";
    return frame;
  }

  function inline(container) {
    container.appendChild(makeFrame());
  }

  function floating() {
    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = label;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", panelId);
    launcher.className = "council-assistant-launcher";
    launcher.style.cssText =
      "position:fixed;right:1.5rem;bottom:1.5rem;z-index:2147483000;padding:0.75rem 1.1rem;" +
      "font:600 1rem/1.2 system-ui,sans-serif;color:#fff;background:#1d4ed8;border:2px solid #1e3a8a;" +
      "border-radius:999px;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,0.3);";

    var panel = document.createElement("section");
    panel.id = panelId;
    panel.hidden = true;
    panel.setAttribute("aria-label", "Council document assistant");
    panel.style.cssText =
      "position:fixed;right:1.5rem;bottom:5rem;z-index:2147483000;width:min(32rem,calc(100vw - 3rem));" +
      "background:#fff;color:#111827;border:1px solid #6b7280;border-radius:10px;padding:0.5rem;" +
      "box-shadow:0 4px 20px rgba(0,0,0,0.35);";

    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close the assistant";
    close.style.cssText =
      "display:block;margin:0 0 0.5rem auto;padding:0.35rem 0.7rem;font:1rem system-ui,sans-serif;" +
      "color:#111827;background:#f3f4f6;border:1px solid #4b5563;border-radius:6px;cursor:pointer;";
    panel.appendChild(close);

    var frame = null;
    function open() {
      if (!frame) {
        frame = makeFrame();
        frame.style.height = "min(" + height + ",calc(100vh - 9rem))";
        panel.appendChild(frame);
      }
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      close.focus();
    }
    function hide() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }
    launcher.addEventListener("click", function () {
      if (panel.hidden) {
        open();
      } else {
        hide();
      }
    });
    close.addEventListener("click", hide);
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hide();
      }
    });
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    window.CouncilAssistant = { open: open, close: hide };
  }

  function start() {
    if (target) {
      var container = document.querySelector(target);
      if (container) {
        inline(container);
        return;
      }
    }
    floating();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
