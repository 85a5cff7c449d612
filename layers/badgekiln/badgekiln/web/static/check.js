// Progressive enhancement of the check form: drag-and-drop and an early size check.
// The form works without this file (a plain multipart POST); nothing here is required.
(function () {
  "use strict";
  var form = document.getElementById("check-form");
  var input = document.getElementById("file");
  var zone = document.getElementById("drop-zone");
  var status = document.getElementById("file-status");
  if (!form || !input || !zone || !status) {
    return;
  }
  document.documentElement.classList.add("has-js");
  var limit = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var limitWords = form.getAttribute("data-max-words") || "";

  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // Show what was chosen; refuse a file over the limit before uploading it.
  function accept(file) {
    status.classList.remove("is-error");
    if (!file) {
      status.textContent = "";
      return false;
    }
    if (limit && file.size > limit) {
      // the same words as the server's answer: exact bytes, so "3.0 MB" never seems to fit "3 MB"
      status.textContent = file.name + " is " + file.size.toLocaleString("en") + " bytes; badges up to " +
        limitWords + " (" + limit.toLocaleString("en") + " bytes) can be checked here.";
      status.classList.add("is-error");
      input.value = "";
      return false;
    }
    status.textContent = "Selected: " + file.name + " (" + size(file.size) + ")";
    return true;
  }

  input.addEventListener("change", function () {
    accept(input.files && input.files[0]);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("is-over");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || !files.length) {
      return;
    }
    input.files = files;
    if (accept(files[0])) {
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }
  });
  var button = form.querySelector("button[type=submit]");
  var label = button ? button.textContent : "";
  form.addEventListener("submit", function () {
    if (button) {
      button.disabled = true;
      button.textContent = "Checking…";
    }
    form.setAttribute("aria-busy", "true");
  });
  // Coming back to this page from the result (back/forward cache): the form is usable again.
  window.addEventListener("pageshow", function () {
    if (button) {
      button.disabled = false;
      button.textContent = label;
    }
    form.removeAttribute("aria-busy");
  });
})();
