/* Anima service worker: installable app, cached shell, an offline page, push notifications.
 *
 * Everything interactive goes over Reflex's websocket, so nothing is queued offline. The worker
 * never touches the websocket, /_event, /_upload, /ping, /_health or any non-GET request, and
 * pages are fetched from the network first, so nobody sees another person's cached screen.
 */
// Replaced when served (anima_pwa/http.py, service_worker_script) by a name for this build, so each new
// build is a new worker that replaces the old one and its cache on the next launch.
const VERSION = "anima-dev";
const SHELL = ["/offline.html", "/anima.css", "/manifest.webmanifest", "/icons/icon-192.png"];
const NEVER = ["/_event", "/_upload", "/ping", "/_health", "/healthz", "/sw.js", "/auth/", "/attachments/"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== VERSION).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NEVER.some((path) => url.pathname.startsWith(path))) return;

  if (request.mode === "navigate") {
    // Network first; the offline page only when there is no network at all.
    event.respondWith(fetch(request).catch(() => caches.match("/offline.html")));
    return;
  }
  if (url.pathname.startsWith("/assets/") || url.pathname.startsWith("/icons/")) {
    // Built assets have content hashes in their names: safe to serve from cache.
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(VERSION).then((cache) => cache.put(request, copy));
        }
        return response;
      }))
    );
  }
});

/* Web push (services/platform/notifications/push.py): the payload is fixed words and a page of this
 * site to open, e.g. {"title": "Anima", "body": "You have a new message from your practice",
 * "url": "/requests/view?id=12"}. Nothing clinical is ever sent, so nothing clinical can show on a
 * lock screen; anything else in a payload is ignored. */
const PUSH_TITLE = "Anima";
const PUSH_BODY = "You have a new message from your practice";

function samePagePath(value) {
  return typeof value === "string" && value.charAt(0) === "/" && value.charAt(1) !== "/" && value.indexOf("\\") < 0;
}

function shortText(value, fallback) {
  return typeof value === "string" && value.length > 0 && value.length <= 200 ? value : fallback;
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {};
  }
  const url = samePagePath(data.url) ? data.url : "/home";
  event.waitUntil(
    self.registration.showNotification(shortText(data.title, PUSH_TITLE), {
      body: shortText(data.body, PUSH_BODY),
      icon: "/icons/icon-192.png",
      tag: "anima-message",
      renotify: true,
      data: { url: url },
    })
  );
});

/* Open the notification's page: in a window of this app if one is open, else a new one. */
function openFromNotification(notification) {
  notification.close();
  const path = notification.data && samePagePath(notification.data.url) ? notification.data.url : "/home";
  const target = new URL(path, self.location.origin).href;
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
    if (open && "navigate" in open) {
      return open.navigate(target)
        .then((client) => (client || open).focus ? (client || open).focus().catch(() => client || open) : client)
        .catch(() => self.clients.openWindow(target));
    }
    return self.clients.openWindow(target);
  });
}

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(openFromNotification(event.notification));
});
