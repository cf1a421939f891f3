// The service worker of the offline scoring app (scope /offline/), after sw-pages.js: the
// app page and its files kept (keptPageFetch). The API is never cached: the entries wait
// in IndexedDB until a sync reaches the server.
"use strict";
var CACHE = "ilp-offline-v1";
var PAGE = "/offline/";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", keptPageFetch(CACHE, PAGE, ["/api/"]));
