// Copy buttons: a button with data-copy="ID" copies the text of the
// element with that id. The buttons start hidden, so a browser without
// JavaScript shows only the selectable text. The copied text is kept in
// the button's data-copied attribute, which tests read when headless
// Chromium denies clipboard reads.
(function () {
  "use strict";
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function done(button, text, ok) {
    button.dataset.copied = ok ? text : "";
    button.textContent = ok ? "Copied" : "Select and copy";
    window.setTimeout(function () { button.textContent = "Copy"; }, 2000);
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () { done(button, text, true); },
          function () { selectText(source); done(button, text, document.execCommand("copy")); });
        return;
      }
      // Outside a secure context (plain http to a remote host) there
      // is no clipboard API: select the text and use the older command.
      selectText(source);
      done(button, text, document.execCommand("copy"));
    });
  });
})();
