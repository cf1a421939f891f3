// The service worker of the offline scoring app (scope /offline/). The app page is
// fetched from the network while there is one (and kept), else served from the cache;
// its files (styles, scripts) come from the cache first and are refreshed behind it. The API is never cached: the
// entries wait in IndexedDB until a sync reaches the server.
"use strict";
var CACHE = "ilp-offline-v1";
var PAGE = "/offline/";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) {
    return;
  }
  if (request.mode === "navigate") {
    if (url.pathname !== PAGE) { return; }
    event.respondWith(fetch(request).then(function (response) {
      // a redirect (to sign in again) is shown, never kept in place of the app
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  // stale-while-revalidate: the kept copy at once, a fresh one kept for the next load
  var network = fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      return caches.open(CACHE).then(function (cache) { return cache.put(request, copy); })
        .then(function () { return response; });
    }
    return response;
  });
  event.waitUntil(network.catch(function () { return null; }));
  event.respondWith(caches.match(request).then(function (hit) { return hit || network; }));
});
