// The offline scoring app (/offline/): posyandu kept on the phone, sittings scored
// without signal in the two modes of the site (one skill for many cadres; one cadre
// skill by skill), each entry written to IndexedDB as it is made, and the sync through
// the API (/api/v1) with the ids made here, so a repeated or cut-off sync stores nothing
// twice. Texts come from the page (data-t-*), in the user's language.
(function () {
  "use strict";
  var root = document.getElementById("offline-app");
  if (!root || !window.ILPOutbox) { return; }
  var Box = window.ILPOutbox;
  var user = root.getAttribute("data-user");
  var lang = (document.documentElement.lang || "id").slice(0, 2) === "en" ? "en" : "id";
  var CHUNK = 25; // entries per sync request: a cut-off loses at most one answer
  var db = null, busy = false;

  function t(key, values) {
    var text = root.getAttribute("data-t-" + key) || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text;
  }
  function txt(value) { return value ? value[lang] || value.id : ""; }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { el.textContent = attrs[name]; } else if (attrs[name] !== null) { el.setAttribute(name, attrs[name]); }
    });
    for (var i = 2; i < arguments.length; i += 1) { if (arguments[i]) { el.appendChild(arguments[i]); } }
    return el;
  }
  function uuid() { return window.crypto.randomUUID(); }
  function $(id) { return document.getElementById(id); }
  function show(id, on) { $(id).hidden = !on; }
  function status(id, text) { $(id).textContent = text; }
  function skills(framework) {
    var list = [];
    framework.packages.forEach(function (p) { p.skills.forEach(function (s) { list.push(s); }); });
    return list;
  }
  function scaleValues(framework) { return framework.scale.map(function (o) { return o.value; }); }
  function dayAfter(iso) {
    var d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  // ---- the store -------------------------------------------------------------------
  function load() {
    return Promise.all([Box.all(db, "bundles"), Box.all(db, "sittings"), Box.all(db, "entries")])
      .then(function (r) {
        return { bundles: r[0].filter(mine), sittings: r[1].filter(mine), entries: r[2] };
      });
  }
  function mine(row) { return row.user === user; }
  function entriesOf(state, sittingId) {
    return state.entries.filter(function (e) { return e.sitting === sittingId; });
  }

  // ---- home: outbox, kept posyandu, sittings ------------------------------------------
  // A posyandu is kept until the end of the day after its date (the site's day when the
  // page was last loaded), unless a sitting of it still has entries to send.
  function expire(state) {
    var today = root.getAttribute("data-today"), busyBundles = {};
    state.sittings.forEach(function (s) {
      if (entriesOf(state, s.id).some(function (e) { return e.state === "draft" || e.state === "ready"; })) {
        busyBundles[s.bundle] = true;
      }
    });
    var old = state.bundles.filter(function (b) { return dayAfter(b.date) < today && !busyBundles[b.id]; });
    return Promise.all(old.map(function (b) { return Box.remove(db, "bundles", b.id); }))
      .then(function () { return old.length ? load() : state; });
  }
  function renderHome() {
    return load().then(expire).then(function (state) {
      show("screen", false); show("prepare", true); show("kept", true); show("offline-intro", true);
      renderOutbox(state);
      var list = $("kept-list"); list.textContent = "";
      state.bundles.forEach(function (bundle) {
        var start = h("a", { href: "#start/" + bundle.id, "class": "button primary", text: t("start") });
        var drop = h("button", { type: "button", "class": "button", text: t("remove") });
        drop.addEventListener("click", function () { Box.remove(db, "bundles", bundle.id).then(renderHome); });
        list.appendChild(h("li", { "class": "card", "data-bundle": bundle.id },
          h("strong", { text: bundle.posyandu.name + " · " + bundle.date }),
          h("p", { text: t("cadres", { n: bundle.cadres.length }) + " · " + bundle.framework.id + " " + bundle.framework.version }),
          h("p", { "class": "hint", text: t("kept-until", { date: dayAfter(bundle.date) }) }),
          h("p", null, start, drop)));
      });
      var sittings = $("sitting-list"); sittings.textContent = "";
      state.sittings.forEach(function (sitting) {
        var done = entriesOf(state, sitting.id).filter(function (e) { return e.state !== "draft"; }).length;
        sittings.appendChild(h("li", null,
          h("a", { href: "#sitting/" + sitting.id, text: sitting.posyandu_name + " · " + sitting.assessed_on }),
          h("span", { "class": "badge", text: t("scored", { n: done }) })));
      });
    });
  }
  function renderOutbox(state) {
    var waiting = state.entries.filter(function (e) { return e.state === "ready"; });
    var sittings = {};
    waiting.forEach(function (e) { sittings[e.sitting] = true; });
    show("outbox", true);
    status("outbox-count", waiting.length ? t("outbox", { entries: waiting.length, sittings: Object.keys(sittings).length }) : t("outbox-empty"));
    $("outbox-count").setAttribute("data-waiting", String(waiting.length));
  }

  // ---- making a posyandu available offline --------------------------------------------
  function prepare(event) {
    event.preventDefault();
    var form = $("prepare-form");
    var date = form.elements.date.value;
    var ids = Array.prototype.filter.call(form.querySelectorAll("input[name=posyandu]:checked"), function () { return true; })
      .map(function (box) { return box.value; });
    status("prepare-status", t("preparing"));
    var done = [];
    var chain = keepPages();
    ids.forEach(function (id) {
      chain = chain.then(function () {
        return fetch("/api/v1/posyandu/" + id + "/offline-bundle?date=" + encodeURIComponent(date),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            return response.json().then(function (body) {
              if (!response.ok) { throw new Error(body.error ? body.error.message : response.status); }
              body.id = body.posyandu.id + ":" + body.date;
              body.user = user;
              return Box.put(db, "bundles", body).then(function () { done.push(body.posyandu.name); });
            });
          });
      });
    });
    chain.then(function () {
      status("prepare-status", t("prepared", { name: done.join(", "), date: date }));
      return renderHome();
    }).catch(function (error) {
      status("prepare-status", t("prepare-failed", { reason: error.message }));
    });
  }
  // The page and its files in the cache, for the service worker to serve offline.
  function keepPages() {
    if (!("serviceWorker" in navigator) || !window.caches) { return Promise.resolve(); }
    var urls = [location.pathname];
    document.querySelectorAll("link[rel=stylesheet], link[rel=manifest], script[src]").forEach(function (el) {
      urls.push(el.getAttribute("href") || el.getAttribute("src"));
    });
    return navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: "/offline/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () { return caches.open("ilp-offline-v1"); })
      .then(function (cache) { return cache.addAll(urls); });
  }

  // ---- a sitting -------------------------------------------------------------------
  function screen(title, back) {
    show("prepare", false); show("kept", false); show("offline-intro", false);
    var box = $("screen"); box.textContent = ""; box.hidden = false;
    box.appendChild(h("p", { "class": "crumbs" }, h("a", { href: back || "#", text: t("back") })));
    box.appendChild(h("h2", { text: title }));
    window.scrollTo(0, 0);
    return box;
  }
  function renderStart(bundleId) {
    return load().then(function (state) {
      var bundle = state.bundles.filter(function (b) { return b.id === bundleId; })[0];
      var box = screen(bundle ? bundle.posyandu.name + " · " + bundle.date : "");
      if (!bundle) { box.appendChild(h("p", { text: t("no-bundle") })); return; }
      var form = h("form", { "class": "stack", id: "start-form" });
      var pick = h("fieldset", { "class": "field pick" }, h("legend", { text: t("present") }));
      bundle.cadres.forEach(function (cadre) {
        var box = h("input", { type: "checkbox", name: "cadre", value: String(cadre.id), checked: "checked" });
        pick.appendChild(h("label", { "class": "check" }, box, document.createTextNode(" " + cadre.name + " (" + detail(cadre) + ")")));
      });
      form.appendChild(pick);
      form.appendChild(document.getElementById("tpl-start").content.cloneNode(true));
      form.appendChild(h("p", { "class": "error", id: "start-error", hidden: "hidden" }));
      form.appendChild(h("p", null, h("button", { type: "submit", "class": "button primary", text: t("begin") })));
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var chosen = Array.prototype.map.call(form.querySelectorAll("input[name=cadre]:checked"), function (b) { return Number(b.value); });
        if (!chosen.length) { $("start-error").hidden = false; $("start-error").textContent = t("none-chosen"); return; }
        var sitting = {
          id: uuid(), user: user, bundle: bundle.id, posyandu_id: bundle.posyandu.id,
          posyandu_name: bundle.posyandu.name, assessed_on: bundle.date,
          setting: form.elements.setting.value, method: form.elements.method.value,
          framework_id: bundle.framework.id, framework_version: bundle.framework.version,
          cadre_ids: chosen, created_at: new Date().toISOString()
        };
        Box.put(db, "sittings", sitting).then(function () { location.hash = "#sitting/" + sitting.id; });
      });
      box.appendChild(form);
    });
  }
  function detail(cadre) {
    var since = cadre.serving_since ? t("since", { date: cadre.serving_since.slice(0, 7) }) : "#" + cadre.id;
    return since;
  }
  function withSitting(id, draw) {
    return load().then(function (state) {
      var sitting = state.sittings.filter(function (s) { return s.id === id; })[0];
      var bundle = sitting && state.bundles.filter(function (b) { return b.id === sitting.bundle; })[0];
      if (!sitting || !bundle) { screen("").appendChild(h("p", { text: t("no-bundle") })); return; }
      var cadres = bundle.cadres.filter(function (c) { return sitting.cadre_ids.indexOf(c.id) >= 0; });
      draw(state, sitting, bundle, cadres);
    });
  }
  function renderSitting(id) {
    return withSitting(id, function (state, sitting, bundle, cadres) {
      var box = screen(t("sitting", { name: sitting.posyandu_name }));
      box.appendChild(h("p", { "class": "lead", text: sitting.assessed_on + " · " + cadres.length + " · " + bundle.framework.version }));
      var entries = entriesOf(state, sitting.id).filter(function (e) { return e.state !== "draft"; });
      box.appendChild(h("h3", { text: t("one-skill") }));
      bundle.framework.packages.forEach(function (p) {
        var list = h("ul", { "class": "skill-links" });
        p.skills.forEach(function (skill) {
          var n = entries.filter(function (e) { return e.skill_code === skill.code; }).length;
          list.appendChild(h("li", null, h("a", { href: "#grid/" + sitting.id + "/" + skill.code, "data-skill": skill.code },
            h("span", { "class": "mono", text: skill.code }), document.createTextNode(" " + txt(skill.name))),
            n ? h("span", { "class": "badge ok", text: t("scored", { n: n }) }) : null));
        });
        box.appendChild(h("details", { "class": "package", open: "open" },
          h("summary", null, h("strong", { text: p.code }), document.createTextNode(" · " + txt(p.name))), list));
      });
      box.appendChild(h("h3", { text: t("one-cadre") }));
      var people = h("ul", { "class": "skill-links" });
      cadres.forEach(function (cadre) {
        var n = entries.filter(function (e) { return e.cadre_id === cadre.id; }).length;
        people.appendChild(h("li", null, h("a", { href: "#cadre/" + sitting.id + "/" + cadre.id, "data-cadre": String(cadre.id), text: cadre.name }),
          h("small", { text: " " + detail(cadre) + " · " + levelName(bundle, cadre.level) + " " }),
          n ? h("span", { "class": "badge ok", text: t("scored", { n: n }) }) : null));
      });
      box.appendChild(people);
    });
  }
  function levelName(bundle, code) {
    var level = bundle.framework.levels.filter(function (l) { return l.code === code; })[0];
    return level ? txt(level.name) : t("no-level");
  }

  // ---- scoring: one skill for many cadres, one cadre skill by skill ----------------
  function findEntry(state, sitting, cadreId, code) {
    return entriesOf(state, sitting.id).filter(function (e) { return e.cadre_id === cadreId && e.skill_code === code; })[0];
  }
  function indicatorList(skill) {
    var list = h("ol", { "class": "indicators" });
    skill.indicators.forEach(function (ind) {
      list.appendChild(h("li", null, h("span", { "class": "mono", text: ind.code }),
        ind.critical ? h("span", { "class": "badge warn", text: t("critical") }) : null,
        document.createTextNode(" " + txt(ind.text) + " "), h("small", { text: "(" + t("points", { n: ind.points }) + ")" })));
    });
    return list;
  }
  // One block of selects for one cadre and skill; each change is written at once.
  function scoreBlock(state, sitting, bundle, cadre, skill, labelled) {
    var entry = findEntry(state, sitting, cadre.id, skill.code) || {
      id: uuid(), sitting: sitting.id, cadre_id: cadre.id, skill_code: skill.code, scores: {}, note: null, state: "draft"
    };
    var locked = entry.state !== "draft" && entry.state !== "ready";
    var outcome = h("span", { "class": "badge outcome", "data-outcome": "" });
    var block = h("div", { "class": "score-block", "data-entry": cadre.id + "-" + skill.code });
    var values = scaleValues(bundle.framework);
    function paint() {
      var result = window.ILPGrade.grade(skill, values, entry.scores);
      var sent = { stored: t("stored"), already_stored: t("already"), refused: t("refused") }[entry.state];
      outcome.className = "badge outcome " + (result ? (result.competent ? "ok" : "warn") : "muted");
      outcome.textContent = (result ? (result.competent ? t("competent") : t("not-competent")) + " · " + result.percentFloor + "%" : t("incomplete"))
        + (sent ? " · " + sent : (entry.state === "ready" ? " · " + t("waiting") : ""));
      outcome.setAttribute("data-outcome", result ? (result.competent ? "competent" : "not-competent") : "incomplete");
      if (entry.state === "refused" && entry.message) { outcome.textContent += ": " + entry.message; }
    }
    function save() {
      entry.state = window.ILPGrade.grade(skill, values, entry.scores) ? "ready" : "draft";
      paint();
      return Box.put(db, "entries", entry);
    }
    skill.indicators.forEach(function (ind) {
      var select = h("select", { "class": "score", name: "score-" + cadre.id + "-" + ind.code,
        "aria-label": (labelled || cadre.name) + " " + ind.code });
      select.appendChild(h("option", { value: "", text: "—" }));
      bundle.framework.scale.forEach(function (option) {
        var opt = h("option", { value: String(option.value), text: option.value + " · " + txt(option.label) });
        if (entry.scores[ind.code] === option.value) { opt.selected = true; }
        select.appendChild(opt);
      });
      if (locked) { select.disabled = true; }
      select.addEventListener("change", function () {
        if (select.value === "") { delete entry.scores[ind.code]; } else { entry.scores[ind.code] = Number(select.value); }
        save();
      });
      block.appendChild(h("div", { "class": "field indicator" },
        h("label", { text: ind.code + (labelled ? " " + txt(ind.text) : "") }), select));
    });
    var note = h("input", { type: "text", maxlength: "500", name: "note-" + cadre.id + "-" + skill.code, "aria-label": t("note") });
    note.value = entry.note || "";
    if (locked) { note.disabled = true; }
    note.addEventListener("change", function () { entry.note = note.value || null; if (Object.keys(entry.scores).length) { save(); } });
    block.appendChild(h("div", { "class": "field" }, h("label", { text: t("note") }), note));
    block.appendChild(h("p", null, outcome));
    paint();
    return block;
  }
  function renderGrid(id, code) {
    return withSitting(id, function (state, sitting, bundle, cadres) {
      var skill = skills(bundle.framework).filter(function (s) { return s.code === code; })[0];
      var box = screen(code + " " + (skill ? txt(skill.name) : ""), "#sitting/" + id);
      if (!skill) { return; }
      box.appendChild(indicatorList(skill));
      cadres.forEach(function (cadre) {
        box.appendChild(h("section", { "class": "card cadre-row", "data-cadre": String(cadre.id) },
          h("h3", { text: cadre.name }), h("p", { "class": "hint", text: detail(cadre) }),
          scoreBlock(state, sitting, bundle, cadre, skill)));
      });
    });
  }
  function renderCadre(id, cadreId) {
    return withSitting(id, function (state, sitting, bundle, cadres) {
      var cadre = cadres.filter(function (c) { return c.id === Number(cadreId); })[0];
      var box = screen(cadre ? cadre.name : "", "#sitting/" + id);
      if (!cadre) { return; }
      box.appendChild(h("p", { "class": "hint", text: detail(cadre) + " · " + levelName(bundle, cadre.level) }));
      bundle.framework.packages.forEach(function (p) {
        box.appendChild(h("h3", { text: p.code + " · " + txt(p.name) }));
        p.skills.forEach(function (skill) {
          var entry = findEntry(state, sitting, cadre.id, skill.code);
          var details = h("details", { "class": "skill", "data-skill": skill.code },
            h("summary", null, h("span", { "class": "mono", text: skill.code }), document.createTextNode(" " + txt(skill.name))),
            scoreBlock(state, sitting, bundle, cadre, skill, skill.code));
          if (entry) { details.open = true; }
          box.appendChild(details);
        });
      });
    });
  }

  // ---- the sync ------------------------------------------------------------------------
  function sync() {
    if (busy || !db) { return Promise.resolve(); }
    busy = true;
    status("sync-status", t("syncing"));
    var counts = { stored: 0, already_stored: 0, refused: 0 };
    var token;
    return fetch("/api/v1/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { throw { signIn: true }; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (session) {
        if (session.username !== user) { throw { signIn: true }; }
        token = session.csrf_token;
        return load();
      })
      .then(function (state) {
        var chain = Promise.resolve();
        state.sittings.forEach(function (sitting) {
          var ready = entriesOf(state, sitting.id).filter(function (e) { return e.state === "ready"; });
          for (var i = 0; i < ready.length; i += CHUNK) {
            (function (chunk) { chain = chain.then(function () { return send(sitting, chunk, token, counts); }); }(ready.slice(i, i + CHUNK)));
          }
        });
        return chain;
      })
      .then(function () {
        status("sync-status", t("synced", { stored: counts.stored, already: counts.already_stored, refused: counts.refused }));
        $("sync-status").setAttribute("data-done", JSON.stringify(counts));
      }, function (error) {
        if (error && error.signIn) {
          var box = $("sync-status"); box.textContent = t("sign-in") + " ";
          box.appendChild(h("a", { href: root.getAttribute("data-login"), text: t("sign-in-link") }));
        } else {
          status("sync-status", t("sync-failed"));
        }
        $("sync-status").setAttribute("data-done", "failed");
      })
      .then(function () { busy = false; return route(); });
  }
  function send(sitting, chunk, token, counts) {
    var body = {
      sitting: { id: sitting.id, posyandu_id: sitting.posyandu_id, assessed_on: sitting.assessed_on,
        setting: sitting.setting, method: sitting.method, framework_id: sitting.framework_id,
        framework_version: sitting.framework_version, cadre_ids: sitting.cadre_ids },
      entries: chunk.map(function (e) {
        return { id: e.id, cadre_id: e.cadre_id, skill_code: e.skill_code, scores: e.scores, note: e.note };
      })
    };
    return fetch("/api/v1/offline-sittings", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token }
    }).then(function (response) {
      if (response.status === 401) { throw { signIn: true }; }
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.error ? answer.error.message : String(response.status)); }
        var byId = {};
        chunk.forEach(function (e) { byId[e.id] = e; });
        return Promise.all(answer.entries.map(function (result) {
          var entry = byId[result.id];
          counts[result.status] += 1;
          entry.state = result.status;
          entry.reason = result.reason; entry.message = result.message;
          entry.assessment_id = result.assessment_id; entry.server_competent = result.competent;
          return Box.put(db, "entries", entry);
        }));
      });
    });
  }

  // ---- routes ----------------------------------------------------------------------
  function route() {
    var parts = location.hash.replace(/^#/, "").split("/");
    if (parts[0] === "start") { return renderStart(parts.slice(1).join("/")); }
    if (parts[0] === "sitting") { return renderSitting(parts[1]); }
    if (parts[0] === "grid") { return renderGrid(parts[1], parts[2]); }
    if (parts[0] === "cadre") { return renderCadre(parts[1], parts[2]); }
    return renderHome();
  }
  function onlineState() {
    if (!navigator.onLine) { status("sync-status", t("offline")); }
  }

  Box.open().then(function (opened) {
    db = opened;
    $("prepare-form").addEventListener("submit", prepare);
    $("sync").addEventListener("click", sync);
    window.addEventListener("hashchange", route);
    window.addEventListener("online", function () { Box.waiting(db).then(function (w) { if (w.length) { sync(); } }); });
    window.addEventListener("offline", onlineState);
    onlineState();
    if ("serviceWorker" in navigator) { navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: "/offline/" }); }
    return route();
  }).then(function () { document.body.setAttribute("data-offline-ready", "1"); });
}());
