// Behaviour of the portal pages, kept out of the HTML so the Content-Security-Policy can forbid
// inline scripts (aftersales/core/security.py).
(function () {
  "use strict";
  var language = document.getElementById("language-select");
  if (language) {
    language.addEventListener("change", function () {
      language.form.submit();
    });
  }
  // Read-only fields holding a link to copy: one click selects the whole link.
  document.querySelectorAll("input.copy-field").forEach(function (field) {
    field.addEventListener("click", function () {
      field.select();
    });
  });
})();
