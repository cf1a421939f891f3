// Small behaviours of every page, bound here because the security policy runs no inline
// script or handler. Each page works without it.
(function () {
  "use strict";
  // A select that opens its choice at once (the form keeps its own submit button).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A print button, shown only when a script can print.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
