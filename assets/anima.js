/* Anima's own browser code. One static file, loaded from this origin, so the Content-Security-Policy
 * can forbid inline scripts and eval: the server never sends code to run, only data attributes that
 * this file acts on.
 *
 * - [data-navigate="/path"]  a full page load to that same-origin path (how a sign-in reaches the
 *   HTTP endpoint that sets the HttpOnly session cookie); each value is followed once.
 * - #error-summary[data-attempt]  focus moves to the error summary each time a submit fails.
 * - main#maincontent  after moving between screens inside the app, focus goes to the new screen's
 *   content (not on the first load, where the skip link comes first).
 * - button.show-password[aria-controls]  shows or hides a password without it reaching the server.
 * - [data-idle-seconds]  present while signed in: after that long without a key, tap or click,
 *   the page asks the server whether the session is still alive (/auth/check), which clears the
 *   screen and goes to sign-in when it is not.
 * - button[data-print]  prints the page (the practice's poster).
 * - #install-offer  shown, with its button[data-install], only when the browser offers to install
 *   the app (beforeinstallprompt); hidden again once installed.
 * - the service worker (offline page, installable app).
 */
(function () {
  "use strict";

  var followed = "";
  var focusedAttempt = null;
  var seenMain = null;
  var lastActivity = Date.now();

  function samePath(value) {
    return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" && value.indexOf("\\") < 0;
  }

  function navigate(node) {
    var target = node.getAttribute("data-navigate");
    if (!samePath(target) || target === followed) return;
    followed = target;
    window.location.replace(target);
  }

  function focusSummary(node) {
    var attempt = node.getAttribute("data-attempt");
    if (attempt === focusedAttempt) return;
    focusedAttempt = attempt;
    node.focus();
  }

  function focusMain(node) {
    if (node === seenMain) return;
    var first = seenMain === null;
    seenMain = node;
    if (!first) node.focus({ preventScroll: false });
  }

  function scan() {
    var nav = document.querySelector("[data-navigate]");
    if (nav) navigate(nav);
    var summary = document.getElementById("error-summary");
    if (summary && summary.hasAttribute("data-attempt")) focusSummary(summary);
    var main = document.getElementById("maincontent");
    if (main) focusMain(main);
    var offer = document.getElementById("install-offer");
    if (offer && offer.hidden !== (installPrompt === null)) showInstallOffer();
  }

  function idleCheck() {
    var marker = document.querySelector("[data-idle-seconds]");
    if (!marker) return;
    var limit = parseInt(marker.getAttribute("data-idle-seconds"), 10) * 1000;
    if (!(limit > 0) || Date.now() - lastActivity < limit) return;
    lastActivity = Date.now(); // once per idle spell, even if the page is slow to go
    window.location.replace("/auth/check?to=" + encodeURIComponent(window.location.pathname + window.location.search));
  }

  function activity() {
    lastActivity = Date.now();
  }

  var installPrompt = null;

  function showInstallOffer() {
    var offer = document.getElementById("install-offer");
    if (offer) offer.hidden = installPrompt === null;
  }

  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault(); // offer it on the help page's own button instead of the browser's bar
    installPrompt = event;
    showInstallOffer();
  });
  window.addEventListener("appinstalled", function () {
    installPrompt = null;
    showInstallOffer();
  });

  document.addEventListener("click", function (event) {
    var target = event.target && event.target.closest ? event.target : null;
    if (target && target.closest("button[data-print]")) {
      window.print();
      return;
    }
    if (target && target.closest("button[data-install]") && installPrompt) {
      var prompt = installPrompt;
      installPrompt = null;
      prompt.prompt();
      showInstallOffer();
      return;
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button.show-password[aria-controls]") : null;
    if (!button) return;
    var input = document.getElementById(button.getAttribute("aria-controls"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.textContent = show ? "Hide password" : "Show password";
  });

  ["keydown", "pointerdown", "touchstart", "wheel"].forEach(function (name) {
    document.addEventListener(name, activity, { capture: true, passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") idleCheck();
  });
  window.setInterval(idleCheck, 15000);

  function start() {
    scan();
    new MutationObserver(scan).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-navigate", "data-attempt"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  var worker = document.querySelector('meta[name="anima-service-worker"]');
  if (worker && "serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(worker.getAttribute("content"));
    });
  }
})();
