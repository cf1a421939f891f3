// The offline verifier (/verify/): reads a certificate's signed QR code
// (https://host/v/<code>#<JWS>) from the camera, a photo or pasted text, checks the
// Ed25519 signature (EdDSA JWS) with the issuers' public keys kept on this phone, and,
// when online, the revocation bit in the issuer's signed status list. Texts come from
// the page (data-t-*), in the reader's language. See docs/credentials.md, "Signed QR".
(function () {
  "use strict";
  var root = document.getElementById("verify-app");
  if (!root) { return; }
  var KEYS_STORE = "ilp-verify-keys";
  var resultBox = document.getElementById("verify-result");
  var keysLine = document.getElementById("verify-keys");
  var scanStatus = document.getElementById("scan-status");
  var video = document.getElementById("scan-video");
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var current = null; // the last valid claim shown, re-checked when the connection returns
  var stream = null;
  var noble = null;

  function t(key, values) {
    var text = root.getAttribute("data-t-" + key) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text;
  }
  function h(tag, attrs, text) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { el.setAttribute(name, attrs[name]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  // --- bytes ------------------------------------------------------------------------
  function b64urlBytes(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) { throw new Error("base64url"); }
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function b64urlJson(text) { return JSON.parse(new TextDecoder("utf-8", {fatal: true}).decode(b64urlBytes(text))); }
  function ascii(text) { return new TextEncoder().encode(text); }

  // --- keys -------------------------------------------------------------------------
  function storedKeys() {
    try { return JSON.parse(localStorage.getItem(KEYS_STORE)) || null; } catch (e) { return null; }
  }
  function showKeys(kept) {
    if (!kept || !kept.jwks || !kept.jwks.keys || !kept.jwks.keys.length) {
      keysLine.textContent = t("no-keys");
      return;
    }
    var issuers = {};
    kept.jwks.keys.forEach(function (key) { issuers[keyIssuer(key)] = true; });
    keysLine.textContent = t("keys", {n: Object.keys(issuers).length,
      date: new Date(kept.fetched).toLocaleString(document.documentElement.lang || "id")});
  }
  function refreshKeys() {
    return fetch(root.getAttribute("data-keys"), {cache: "no-cache", credentials: "omit"})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (jwks) {
        if (!jwks || !Array.isArray(jwks.keys)) { throw new Error("jwks"); }
        var kept = {fetched: Date.now(), jwks: jwks};
        localStorage.setItem(KEYS_STORE, JSON.stringify(kept));
        showKeys(kept);
        root.setAttribute("data-keys-ready", String(jwks.keys.length));
      }).catch(function () {
        var kept = storedKeys();
        showKeys(kept);
        if (kept && navigator.onLine) { keysLine.textContent += " " + t("keys-failed"); }
        root.setAttribute("data-keys-ready", kept ? String(kept.jwks.keys.length) : "0");
      });
  }
  // The district code (7414) of a key: from its issuer id (…/credentials/issuers/74.14),
  // else from its kid (7414-20261201-3fa9).
  function keyIssuer(key) {
    var match = /\/issuers\/(\d{2})\.?(\d{2})$/.exec(key.iss || "");
    if (match) { return match[1] + match[2]; }
    match = /^(\d{4})-/.exec(key.kid || "");
    return match ? match[1] : null;
  }
  function district(code) { return /^\d{4}$/.test(code) ? code.slice(0, 2) + "." + code.slice(2) : code; }
  function findKey(kid) {
    var kept = storedKeys();
    if (!kept || typeof kid !== "string") { return null; }
    return kept.jwks.keys.filter(function (key) { return key.kid === kid; })[0] || null;
  }

  // --- Ed25519: WebCrypto where the browser has it, else the vendored noble-ed25519 --
  function verifyEd25519(jwk, signature, message) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
      return Promise.resolve(false);
    }
    var publicKey = b64urlBytes(jwk.x);
    return crypto.subtle.importKey("raw", publicKey, {name: "Ed25519"}, false, ["verify"])
      .then(function (key) {
        root.setAttribute("data-engine", "webcrypto");
        return crypto.subtle.verify({name: "Ed25519"}, key, signature, message);
      }, function () {
        // no Ed25519 in this browser's WebCrypto (older Android WebView, Safari < 17)
        root.setAttribute("data-engine", "noble");
        noble = noble || import(root.getAttribute("data-noble"));
        return noble.then(function (ed) {
          return ed.verifyAsync(signature, message, publicKey).catch(function () { return false; });
        });
      });
  }

  // A compact JWS: its header and payload, and whether the key of its kid signed it.
  function checkJws(token) {
    var parts = token.split(".");
    if (parts.length !== 3) { return Promise.reject(new Error("malformed")); }
    var header, payload, signature;
    try {
      header = b64urlJson(parts[0]);
      payload = b64urlJson(parts[1]);
      signature = b64urlBytes(parts[2]);
    } catch (e) { return Promise.reject(new Error("malformed")); }
    if (!header || (header.alg !== "EdDSA" && header.alg !== "Ed25519") || signature.length !== 64) {
      return Promise.reject(new Error("malformed"));
    }
    var key = findKey(header.kid);
    if (!key) { return Promise.resolve({header: header, payload: payload, key: null, ok: false}); }
    return verifyEd25519(key, signature, ascii(parts[0] + "." + parts[1])).then(function (ok) {
      return {header: header, payload: payload, key: key, ok: ok};
    });
  }

  // Whether the key was in use on the day: nbf and exp are seconds since 1970 (UTC).
  function inWindow(key, day) {
    var at = Date.parse(day + "T00:00:00Z") / 1000;
    var end = at + 86400; // the whole day: a key made or retired that day signed on it
    if (isNaN(at)) { return false; }
    if (typeof key.nbf === "number" && end <= key.nbf) { return false; }
    if (typeof key.exp === "number" && at >= key.exp) { return false; }
    return true;
  }

  // --- the verdict --------------------------------------------------------------------
  function verify(text) {
    text = (text || "").trim();
    var hash = text.indexOf("#");
    var address = hash >= 0 ? text.slice(0, hash) : null;
    var token = hash >= 0 ? text.slice(hash + 1) : text;
    showChecking();
    return checkJws(token).then(function (checked) {
      var claim = checked.payload;
      if (!checked.key) { return refuse("unknown-key"); }
      if (!checked.ok) { return refuse("bad-signature"); }
      if (!claim || typeof claim !== "object" || typeof claim.n !== "string"
          || typeof claim.s !== "string" || typeof claim.i !== "string"
          || typeof claim.d !== "string" || typeof claim.x !== "number") {
        return refuse("malformed");
      }
      if (keyIssuer(checked.key) !== claim.i) { return refuse("wrong-issuer"); }
      if (address !== null && address !== claim.v) { return refuse("address"); }
      if (!inWindow(checked.key, claim.d)) { return refuse("key-window", {date: claim.d}); }
      return accept(claim);
    }, function () { return refuse("malformed"); });
  }

  function showChecking() {
    current = null;
    resultBox.removeAttribute("data-verdict");
    resultBox.removeAttribute("data-reason");
    resultBox.textContent = "";
    resultBox.appendChild(h("p", {}, t("checking")));
  }

  function refuse(reason, values) {
    current = null;
    resultBox.textContent = "";
    resultBox.setAttribute("data-verdict", "invalid");
    resultBox.setAttribute("data-reason", reason);
    resultBox.appendChild(h("p", {"class": "flash flash-error"},
      "✗ " + t("invalid", {reason: t(reason, values)})));
    resultBox.focus();
  }

  function accept(claim) {
    current = claim;
    resultBox.textContent = "";
    resultBox.setAttribute("data-verdict", "valid");
    resultBox.removeAttribute("data-reason");
    resultBox.appendChild(h("p", {"class": "flash"}, "✓ " + t("valid", {issuer: district(claim.i)})));
    var facts = h("dl", {"class": "facts"});
    var rows = [["name", claim.n]];
    if (typeof claim.l === "string") { rows.push(["level", claim.l]); }
    if (typeof claim.t === "string") { rows.push(["training", claim.t]); }
    rows.push(["date", claim.d], ["issuer", district(claim.i)], ["serial", claim.s]);
    rows.forEach(function (row) {
      facts.appendChild(h("dt", {}, t(row[0])));
      facts.appendChild(h("dd", {"data-claim": row[0]}, row[1]));
    });
    resultBox.appendChild(facts);
    resultBox.appendChild(h("p", {id: "verify-status", role: "status"}));
    if (typeof claim.v === "string" && claim.v.indexOf(location.origin + "/") === 0) {
      var link = h("a", {href: claim.v}, t("open"));
      var line = h("p");
      line.appendChild(link);
      resultBox.appendChild(line);
    }
    resultBox.focus();
    return checkStatus();
  }

  // --- revocation: the issuer's Bitstring Status List, signed by the same keys ------
  function setStatus(state, text) {
    var line = document.getElementById("verify-status");
    if (!line) { return; }
    line.setAttribute("data-status", state);
    line.className = state === "revoked" ? "flash flash-error" : "hint";
    line.textContent = text;
  }

  function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
  }

  function checkStatus() {
    var claim = current;
    if (!claim) { return Promise.resolve(); }
    if (!navigator.onLine) {
      setStatus("offline", t("status-offline"));
      return Promise.resolve();
    }
    setStatus("checking", t("status-checking"));
    var url = root.getAttribute("data-status").split("ISSUER").join(encodeURIComponent(claim.i));
    return fetch(url, {cache: "no-store", credentials: "omit"}).then(function (response) {
      if (!response.ok) { throw new Error("unreachable"); }
      return response.text();
    }).then(function (token) {
      // a list signed by a key newer than the kept ones: fetch the keys once more
      return checkJws(token.trim()).then(function (checked) {
        return checked.key ? checked : refreshKeys().then(function () { return checkJws(token.trim()); });
      }).then(function (checked) {
        if (!checked.ok || keyIssuer(checked.key) !== claim.i) {
          throw new Error("bad-list");
        }
        var vc = checked.payload.vc || checked.payload;
        var encoded = vc && vc.credentialSubject && vc.credentialSubject.encodedList;
        if (typeof encoded !== "string") { throw new Error("bad-list"); }
        // multibase: "u" is base64url without padding
        return gunzip(b64urlBytes(encoded.charAt(0) === "u" ? encoded.slice(1) : encoded));
      }, function () { throw new Error("bad-list"); });
    }).then(function (bits) {
      if (current !== claim) { return; }
      var index = claim.x;
      if (index < 0 || Math.floor(index / 8) >= bits.length) { throw new Error("bad-list"); }
      var revoked = (bits[Math.floor(index / 8)] >> (7 - (index % 8))) & 1;
      if (revoked) {
        setStatus("revoked", t("status-revoked"));
        resultBox.setAttribute("data-verdict", "revoked");
      } else {
        setStatus("ok", t("status-ok"));
      }
    }).catch(function (error) {
      if (current !== claim) { return; }
      if (!navigator.onLine) { setStatus("offline", t("status-offline")); return; }
      var reason = error && error.message === "bad-list" ? "status-bad-list" : "status-unreachable";
      setStatus("failed", t("status-failed", {reason: t(reason)}));
    });
  }

  // --- reading the QR code ----------------------------------------------------------
  function decodePixels(source, width, height, maxSide) {
    var scale = Math.min(1, maxSide / Math.max(width, height));
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    var context = canvas.getContext("2d", {willReadFrequently: true});
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(pixels.data, canvas.width, canvas.height,
                           {inversionAttempts: "dontInvert"});
    return code ? code.data : null;
  }

  function readFile(file) {
    if (!file) { return; }
    scanStatus.textContent = t("checking");
    createImageBitmap(file).then(function (image) {
      var text = decodePixels(image, image.width, image.height, 2400)
        || decodePixels(image, image.width, image.height, 1200);
      if (!text) { scanStatus.textContent = t("no-code"); return null; }
      scanStatus.textContent = "";
      return verify(text);
    }).catch(function () { scanStatus.textContent = t("no-code"); });
  }

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function scanFrame() {
    if (!stream) { return; }
    if (video.readyState >= 2 && video.videoWidth) {
      var text = decodePixels(video, video.videoWidth, video.videoHeight, 1280);
      if (text) {
        stopCamera();
        scanStatus.textContent = "";
        verify(text);
        return;
      }
    }
    setTimeout(scanFrame, 150);
  }

  function startCamera() {
    navigator.mediaDevices.getUserMedia({audio: false, video: {
      facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}})
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        stopButton.hidden = false;
        startButton.hidden = true;
        scanStatus.textContent = t("scanning");
        return video.play().then(scanFrame);
      }).catch(function (error) {
        stopCamera();
        scanStatus.textContent = t("no-camera", {reason: error && error.name || "?"});
      });
  }

  // --- wiring -----------------------------------------------------------------------
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    startButton.hidden = false;
    startButton.addEventListener("click", startCamera);
    stopButton.addEventListener("click", stopCamera);
  }
  document.getElementById("scan-file").addEventListener("change", function (event) {
    readFile(event.target.files && event.target.files[0]);
    event.target.value = "";
  });
  document.getElementById("scan-text-form").addEventListener("submit", function (event) {
    event.preventDefault();
    verify(document.getElementById("scan-text").value);
  });
  window.addEventListener("online", function () { refreshKeys().then(checkStatus); });
  window.addEventListener("offline", function () { if (current) { setStatus("offline", t("status-offline")); } });

  showKeys(storedKeys());
  var ready = navigator.serviceWorker
    ? navigator.serviceWorker.register(root.getAttribute("data-sw"), {scope: root.getAttribute("data-scope")})
      .then(function () { return navigator.serviceWorker.ready; }).catch(function () { return null; })
    : Promise.resolve(null);
  Promise.all([refreshKeys(), ready]).then(function () {
    document.body.setAttribute("data-verify-ready", navigator.serviceWorker && navigator.serviceWorker.controller ? "controlled" : "yes");
  });
})();
