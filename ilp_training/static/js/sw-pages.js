// What the site's service workers share (served in front of each of them by
// core/service_worker.py): the fetch handler of a page kept for use without a connection.
// The page itself is fetched from the network while there is one (and kept), else served
// from the cache; its files (styles, scripts) come from the cache first and are
// refreshed behind it. Requests under `neverKept` (the API, the status lists) go to the
// network as they are.
"use strict";

function keptPageFetch(cacheName, page, neverKept) {
  return function (event) {
    var request = event.request;
    var url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin
        || neverKept.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) {
      return;
    }
    if (request.mode === "navigate") {
      if (url.pathname !== page) { return; }
      event.respondWith(fetch(request).then(function (response) {
        // a redirect (to sign in again) is shown, never kept in place of the page
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(cacheName).then(function (cache) { cache.put(page, copy); });
        }
        return response;
      }).catch(function () {
        return caches.match(page).then(function (hit) { return hit || Response.error(); });
      }));
      return;
    }
    // stale-while-revalidate: the kept copy at once, a fresh one kept for the next load
    var network = fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        return caches.open(cacheName).then(function (cache) { return cache.put(request, copy); })
          .then(function () { return response; });
      }
      return response;
    });
    event.waitUntil(network.catch(function () { return null; }));
    event.respondWith(caches.match(request).then(function (hit) { return hit || network; }));
  };
}
