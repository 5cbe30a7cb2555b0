/* Anima's own browser code. One static file, loaded from this origin, so the Content-Security-Policy
 * can forbid inline scripts and eval: the server never sends code to run, only data attributes that
 * this file acts on.
 *
 * - [data-navigate="/path"]  a full page load to that same-origin path (how a sign-in reaches the
 *   HTTP endpoint that sets the HttpOnly session cookie); each value is followed once.
 * - #error-summary[data-attempt]  focus moves to the error summary each time a submit fails.
 * - main#maincontent  after moving between screens inside the app, focus goes to the new screen's
 *   content (not on the first load, where the skip link comes first).
 * - [data-step-focus="<key>"]  a wizard's step heading: when the key changes (a new step, question
 *   or page of the emergency screen), focus moves to that heading, as a new page would start there.
 * - button.show-password[aria-controls]  shows or hides a password without it reaching the server.
 * - [data-idle-seconds]  present while signed in: after that long without a key, tap or click,
 *   the page asks the server whether the session is still alive (/auth/check), which clears the
 *   screen and goes to sign-in when it is not.
 * - button[data-print]  prints the page (the practice's poster).
 * - a file input inside an element with aria-labelledby (rx.upload) is given that label and hint.
 * - #install-offer  shown, with its button[data-install], only when the browser offers to install
 *   the app (beforeinstallprompt); hidden again once installed.
 * - #push-settings  "Notifications on this device" (Your preferences): subscribes this browser
 *   with the VAPID key in <meta name="anima-push-key"> and posts the subscription to
 *   /push/subscription (the session cookie says whose); turns it off again. On every signed-in page
 *   load, a subscription this browser still has is checked with the server, and dropped if it is no
 *   longer this account's (someone else signed in here).
 * - the service worker (offline page, installable app, push notifications).
 */
(function () {
  "use strict";

  var followed = "";
  var focusedAttempt = null;
  var seenMain = null;
  var seenStep = null;
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

  function focusStep(node) {
    // The step a page opens at is known once its on_load has run: only changes after that count.
    if (!document.querySelector('main[data-ready="true"]')) return;
    var key = node.getAttribute("data-step-focus");
    if (key === seenStep) return;
    var first = seenStep === null;
    seenStep = key;
    // Not on arrival (the new screen's main has the focus then), and never over an error summary.
    var summary = document.getElementById("error-summary");
    if (!first && !(summary && summary.contains(document.activeElement))) node.focus({ preventScroll: false });
  }

  function scan() {
    var nav = document.querySelector("[data-navigate]");
    if (nav) navigate(nav);
    var summary = document.getElementById("error-summary");
    if (summary && summary.hasAttribute("data-attempt")) focusSummary(summary);
    var main = document.getElementById("maincontent");
    if (main) focusMain(main);
    var step = document.querySelector("[data-step-focus]");
    if (step) focusStep(step);
    else seenStep = null;
    // Only once React has taken over the page: changing server-rendered HTML before it hydrates
    // would make it fail to match (React error 418).
    if (!document.querySelector('main[data-ready="true"]')) return;
    var offer = document.getElementById("install-offer");
    if (offer && offer.hidden !== (installPrompt === null)) showInstallOffer();
    var pushPanel = document.getElementById("push-settings");
    if (pushPanel) setUpPushPanel(pushPanel);
    checkPushOnce();
    labelFileInputs();
  }

  // The file input inside an upload zone (Reflex's rx.upload renders it with no attributes of
  // ours) takes the zone's label and hint, so it is named for screen readers (WCAG 1.3.1, 4.1.2).
  function labelFileInputs() {
    var inputs = document.querySelectorAll('[aria-labelledby] input[type="file"]:not([aria-labelledby])');
    for (var i = 0; i < inputs.length; i++) {
      var zone = inputs[i].parentElement.closest("[aria-labelledby]");
      inputs[i].setAttribute("aria-labelledby", zone.getAttribute("aria-labelledby"));
      if (zone.hasAttribute("aria-describedby")) inputs[i].setAttribute("aria-describedby", zone.getAttribute("aria-describedby"));
    }
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


  // Web push ------------------------------------------------------------------------------------

  var PUSH_ENDPOINT = "/push/subscription";
  var seenPushPanel = null;
  var pushChecked = false;

  function pushKey() {
    var meta = document.querySelector('meta[name="anima-push-key"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function pushSupported() {
    return (
      "serviceWorker" in navigator &&
      "PushManager" in window &&
      "Notification" in window &&
      !!pushKey() &&
      !!document.querySelector('meta[name="anima-service-worker"]')
    );
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sendPush(method, body) {
    return fetch(PUSH_ENDPOINT, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (data) {
          return { ok: response.ok, data: data || {} };
        });
    });
  }

  function currentSubscription() {
    return navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription().then(function (subscription) {
        return { registration: registration, subscription: subscription };
      });
    });
  }

  function showPush(panel, state, message) {
    var status = panel.querySelector("#push-status");
    var button = panel.querySelector("#push-toggle");
    panel.setAttribute("data-push-state", state);
    if (status) status.textContent = message;
    if (!button) return;
    button.hidden = state === "unsupported" || state === "blocked" || state === "busy";
    button.textContent = state === "on" ? "Turn off notifications on this device" : "Turn on notifications on this device";
  }

  var BLOCKED =
    "Notifications are blocked for Anima on this device. To get them, allow notifications for this site in your browser's or phone's settings.";

  function setUpPushPanel(panel) {
    if (panel === seenPushPanel) return;
    seenPushPanel = panel;
    if (!pushSupported()) {
      showPush(
        panel,
        "unsupported",
        "This browser can't show notifications from Anima. On an iPhone or iPad, add Anima to your home screen, then open it from there."
      );
      return;
    }
    if (Notification.permission === "denied") {
      showPush(panel, "blocked", BLOCKED);
      return;
    }
    showPush(panel, "busy", "Checking this device...");
    currentSubscription()
      .then(function (found) {
        if (!found.subscription) return false;
        return sendPush("POST", { check: true, endpoint: found.subscription.endpoint }).then(function (result) {
          if (result.ok && result.data.on) return true;
          return found.subscription.unsubscribe().then(function () {
            return false;
          });
        });
      })
      .then(function (on) {
        showPush(panel, on ? "on" : "off", on ? "Notifications are on for this device." : "Notifications are off for this device.");
      })
      .catch(function () {
        showPush(panel, "off", "Notifications are off for this device.");
      });
  }

  function turnPushOn(panel) {
    showPush(panel, "busy", "Turning on notifications...");
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") {
          showPush(panel, permission === "denied" ? "blocked" : "off", permission === "denied" ? BLOCKED : "Notifications are off for this device.");
          return;
        }
        return currentSubscription()
          .then(function (found) {
            return (
              found.subscription ||
              found.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(pushKey()) })
            );
          })
          .then(function (subscription) {
            return sendPush("POST", { subscription: subscription.toJSON() }).then(function (result) {
              if (result.ok) {
                showPush(panel, "on", "Notifications are on for this device.");
                return;
              }
              return subscription.unsubscribe().then(function () {
                showPush(panel, "off", "Notifications could not be turned on: " + (result.data.error || "try again later") + ".");
              });
            });
          });
      })
      .catch(function () {
        showPush(panel, "off", "Notifications could not be turned on on this device. Try again later.");
      });
  }

  function turnPushOff(panel) {
    showPush(panel, "busy", "Turning off notifications...");
    currentSubscription()
      .then(function (found) {
        if (!found.subscription) return;
        return sendPush("DELETE", { endpoint: found.subscription.endpoint }).then(function () {
          return found.subscription.unsubscribe();
        });
      })
      .then(function () {
        showPush(panel, "off", "Notifications are off for this device.");
      })
      .catch(function () {
        showPush(panel, "on", "Notifications could not be turned off. Try again.");
      });
  }

  // Once per page load while signed in: drop a subscription that is no longer this account's.
  function checkPushOnce() {
    if (pushChecked || !document.querySelector("[data-idle-seconds]") || !pushSupported()) return;
    if (Notification.permission !== "granted") return;
    pushChecked = true;
    currentSubscription()
      .then(function (found) {
        if (!found.subscription) return;
        return sendPush("POST", { check: true, endpoint: found.subscription.endpoint }).then(function (result) {
          if (result.ok && !result.data.on) return found.subscription.unsubscribe();
        });
      })
      .catch(function () {});
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("#push-toggle") : null;
    var panel = button ? button.closest("#push-settings") : null;
    if (!panel) return;
    if (panel.getAttribute("data-push-state") === "on") turnPushOff(panel);
    else if (panel.getAttribute("data-push-state") === "off") turnPushOn(panel);
  });

  var installPrompt = null;

  function showInstallOffer() {
    var offer = document.getElementById("install-offer");
    if (offer && document.querySelector('main[data-ready="true"]')) offer.hidden = installPrompt === null;
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
      attributeFilter: ["data-navigate", "data-attempt", "data-ready"],
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
