// The service worker of the offline verifier (scope /verify/), after sw-pages.js.
// Installing it keeps the page and every file it loads (styles, scripts, the vendored QR
// decoder and Ed25519 fallback), read from the page itself, so that the page opens
// without a connection from then on; then it serves them as keptPageFetch says. The
// public keys are kept by the page (localStorage); the keys and the status lists
// (/credentials/…) are never cached here: revocation is checked online only.
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

self.addEventListener("fetch", keptPageFetch(CACHE, PAGE, ["/credentials/", "/api/"]));
