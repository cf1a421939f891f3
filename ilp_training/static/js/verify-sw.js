// The service worker of the offline verifier (scope /verify/). Installing it keeps the
// page and every file it loads (styles, scripts, the vendored QR decoder and Ed25519
// fallback), read from the page itself, so that the page opens without a connection
// from then on. The page is fetched from the network while there is one (and kept),
// else served from the cache; its files come from the cache first and are refreshed
// behind it. The public keys are kept by the page (localStorage); the keys and the
// status lists (/credentials/…) are never cached here: revocation is checked online only.
"use strict";
var CACHE = "ilp-verify-v1";
var PAGE = "/verify/";

function pageFiles(html) {
  var urls = [];
  var pattern = /(?:src|href|data-noble)="(\/(?:static\/|levels\.css)[^"]*)"/g;
  var match;
  while ((match = pattern.exec(html)) !== null) { urls.push(match[1].replace(/&amp;/g, "&")); }
  return urls;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return fetch(PAGE, {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("the page answered " + response.status); }
      return response.clone().text().then(function (html) {
        return cache.put(PAGE, response).then(function () { return cache.addAll(pageFiles(html)); });
      });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("ilp-verify-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin
      || url.pathname.indexOf("/credentials/") === 0 || url.pathname.indexOf("/api/") === 0) {
    return;
  }
  if (request.mode === "navigate") {
    if (url.pathname !== PAGE) { return; }
    event.respondWith(fetch(request).then(function (response) {
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
