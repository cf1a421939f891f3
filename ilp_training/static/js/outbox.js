// The phone's store of offline scoring (IndexedDB "ilp-offline"): the posyandu kept
// offline (bundles), the sittings and their entries. Loaded on every page so that
// signing out warns while entries wait to be sent; the entries are never deleted by it.
(function (root) {
  "use strict";
  var NAME = "ilp-offline", VERSION = 1;
  function open() {
    return new Promise(function (resolve, reject) {
      if (!root.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var request = root.indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        ["bundles", "sittings", "entries"].forEach(function (store) {
          if (!db.objectStoreNames.contains(store)) { db.createObjectStore(store, { keyPath: "id" }); }
        });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function all(db, store) {
    return new Promise(function (resolve, reject) {
      var request = db.transaction(store).objectStore(store).getAll();
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  function put(db, store, value) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(store, "readwrite");
      tx.objectStore(store).put(value);
      tx.oncomplete = function () { resolve(value); };
      tx.onerror = function () { reject(tx.error); };
    });
  }
  function remove(db, store, key) {
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(store, "readwrite");
      tx.objectStore(store).delete(key);
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
    });
  }
  // Entries complete on the phone and not yet answered by the server.
  function waiting(db) {
    return all(db, "entries").then(function (entries) {
      return entries.filter(function (e) { return e.state === "ready"; });
    });
  }
  root.ILPOutbox = { open: open, all: all, put: put, remove: remove, waiting: waiting };

  var form = document.querySelector("form[data-outbox-warning]");
  if (!form || !root.indexedDB) { return; }
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-confirmed")) { return; }
    event.preventDefault();
    function leave() { form.setAttribute("data-confirmed", "1"); form.submit(); }
    open().then(waiting).then(function (entries) {
      var text = form.getAttribute("data-outbox-warning").replace("%(n)s", entries.length);
      if (entries.length === 0 || root.confirm(text)) { leave(); }
    }, leave);
  });
}(window));
