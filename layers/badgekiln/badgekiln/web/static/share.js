// Progressive enhancement of a badge's verify page: "Copy link" and "Copy embed code" buttons.
// Without this file the link and the embed code are still on the page to select and copy.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function textOf(target) {
    return target.tagName === "TEXTAREA" || target.tagName === "INPUT" ? target.value : target.href || target.textContent;
  }

  function copied(button, label) {
    if (status) {
      status.textContent = label + " copied.";
    }
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = "Copied";
    window.setTimeout(function () {
      button.textContent = original;
    }, 2000);
  }

  // the old way, for browsers (or http origins) without the asynchronous clipboard
  function fallback(target, text) {
    var area = target;
    if (target.tagName !== "TEXTAREA") {
      area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
    }
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (error) {
      ok = false;
    }
    if (area !== target) {
      document.body.removeChild(area);
    }
    return ok;
  }

  Array.prototype.forEach.call(document.querySelectorAll(".js-copy"), function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = textOf(target);
      var label = target.tagName === "TEXTAREA" ? "Embed code" : "Link";
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () {
            copied(button, label);
          },
          function () {
            if (fallback(target, text)) {
              copied(button, label);
            }
          }
        );
      } else if (fallback(target, text)) {
        copied(button, label);
      }
    });
  });
})();
