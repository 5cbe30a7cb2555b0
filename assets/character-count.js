/* Character count, the NHS design system's pattern, as progressive enhancement.
 *
 * A free-text control with data-character-limit="2000" gets, in the element with id
 * "<id>-count", "You have 12 characters remaining" or "You have 20 characters too many" as the
 * person types, and the same words in "<id>-count-live" (aria-live="polite") once they pause, so a
 * screen reader hears it without being interrupted on every key. Without this file the page says
 * "You can enter up to 2,000 characters", and the server refuses over-long text with a message
 * beside the field, keeping what was typed. Nothing here stops or cuts typing.
 *
 * The count matches anima_pwa/services/text_limits.count: NFC, CRLF as one line break, spaces at
 * either end not counted, characters as code points. A static file (no inline script, no eval)
 * so the Content-Security-Policy can forbid both.
 */
(function () {
  "use strict";
  var SELECTOR = "[data-character-limit]";
  var ANNOUNCE_AFTER_MS = 1000;
  var timers = {};

  function count(value) {
    var text = String(value || "");
    if (text.normalize) text = text.normalize("NFC");
    return Array.from(text.replace(/\r\n?/g, "\n").trim()).length;
  }

  function characters(n) {
    return n.toLocaleString("en-GB") + (n === 1 ? " character" : " characters");
  }

  function words(field) {
    var limit = parseInt(field.getAttribute("data-character-limit"), 10);
    if (!(limit > 0)) return null;
    var left = limit - count(field.value);
    return {
      over: left < 0,
      text: left >= 0 ? "You have " + characters(left) + " remaining" : "You have " + characters(-left) + " too many",
    };
  }

  function update(field, announce) {
    if (!field.id) return;
    var said = words(field);
    var status = document.getElementById(field.id + "-count");
    if (!said || !status) return;
    if (status.textContent !== said.text) status.textContent = said.text;
    var over = said.over ? "true" : "false";
    if (status.getAttribute("data-over") !== over) status.setAttribute("data-over", over);
    if (announce) {
      clearTimeout(timers[field.id]);
      timers[field.id] = setTimeout(function () {
        var live = document.getElementById(field.id + "-count-live");
        if (live) live.textContent = said.text;
      }, ANNOUNCE_AFTER_MS);
    }
  }

  function updateAll() {
    // Only once React has taken over the page: a count written into the server-rendered HTML before
    // it hydrates makes it fail to match (React error 418: Practice settings, whose counted fields
    // are in the page from the start, showed it on every visit by address).
    if (!document.querySelector('main[data-ready="true"]')) return;
    var fields = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < fields.length; i++) update(fields[i], false);
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      updateAll();
    });
  }

  function onTyping(event) {
    var target = event.target;
    if (target && target.matches && target.matches(SELECTOR)) update(target, true);
  }

  function start() {
    document.addEventListener("input", onTyping, true);
    document.addEventListener("change", onTyping, true);
    document.addEventListener("focusin", schedule, true);
    // The app renders screens after this file runs (and puts saved text into fields when the
    // server's state arrives), so count again whenever the page changes.
    new MutationObserver(schedule).observe(document.documentElement, {
      childList: true,
      subtree: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["data-character-limit", "data-ready", "value"],
    });
    updateAll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
