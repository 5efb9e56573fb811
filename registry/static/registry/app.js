// The registry's only script of its own (no inline script anywhere: CSP script-src 'self').
// htmx sends the CSRF token from <body hx-headers>; here, a failed htmx request is told to
// the user in the messages area, in the page's language (text from data-error-text).
(function () {
  "use strict";

  function showError() {
    var area = document.getElementById("messages");
    if (!area) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.textContent = area.dataset.errorText;
    area.replaceChildren(alert);
  }

  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);
})();
