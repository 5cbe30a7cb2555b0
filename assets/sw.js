/* Anima service worker: installable app, cached shell, an offline page.
 *
 * Everything interactive goes over Reflex's websocket, so nothing is queued offline. The worker
 * never touches the websocket, /_event, /_upload, /ping, /_health or any non-GET request, and
 * pages are fetched from the network first, so nobody sees another person's cached screen.
 */
const VERSION = "anima-v2";
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
