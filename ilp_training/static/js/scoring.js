// Keeps a scoring form's entries in this browser until the server has saved them, so a
// dropped connection or a closed tab loses nothing. The page works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.scoring[data-draft]");
  var flashSaved = document.querySelector("[data-clear-drafts]");
  if (flashSaved) {
    flashSaved.getAttribute("data-clear-drafts").split(" ").forEach(function (key) {
      try { localStorage.removeItem("ilp-draft:" + key); } catch (e) { /* storage off */ }
    });
  }
  if (!form) { return; }
  var key = "ilp-draft:" + form.getAttribute("data-draft");
  function fields() { return form.querySelectorAll("select[name^='score-'], input[name^='note-']"); }
  function save() {
    var data = {};
    fields().forEach(function (el) { if (el.value) { data[el.name] = el.value; } });
    var keyField = form.querySelector("input[name='submission_key']");
    data.submission_key = keyField ? keyField.value : "";
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* storage off */ }
  }
  if (form.getAttribute("data-fresh") === "1") {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      fields().forEach(function (el) { if (saved[el.name]) { el.value = saved[el.name]; } });
      // Re-sending a draft reuses its submission key: the server stores it only once.
      var keyField = form.querySelector("input[name='submission_key']");
      if (keyField && saved.submission_key) { keyField.value = saved.submission_key; }
    }
  }
  form.addEventListener("change", save);
  form.addEventListener("submit", function () {
    save();
    var button = form.querySelector("[type=submit]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });
}());
