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
  // "Copy link" next to such a field (the thanks pages).
  document.querySelectorAll("button.copy-button").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field) {
        return;
      }
      var done = function () {
        button.textContent = button.getAttribute("data-copied");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          field.select();
        });
      } else {
        field.select();
        document.execCommand("copy");
        done();
      }
    });
  });
  // The safety advice of the request form, shown as soon as the description names a danger
  // (the word lists come from tickets/safety.py, the server checks them again on submit).
  var advice = document.getElementById("safety-advice");
  document.querySelectorAll("textarea[data-safety-words]").forEach(function (field) {
    if (!advice) {
      return;
    }
    var words = JSON.parse(field.getAttribute("data-safety-words"));
    var english = new RegExp("\\b(" + words.english.map(function (word) {
      return word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")\\b", "i");
    var check = function () {
      var text = field.value;
      var found = english.test(text) || words.chinese.some(function (word) {
        return text.indexOf(word) !== -1;
      });
      advice.hidden = !found;
    };
    field.addEventListener("input", check);
    check();
  });
})();
