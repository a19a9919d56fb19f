// The portal's only script (served from here: the CSP allows no other).
// - On the sending page, a chosen file whose name the gateway would refuse is reported at once.
// - On a file's page, waits for its response and reloads the page when it is written.
(function () {
  "use strict";
  var input = document.getElementById("file");
  if (input) {
    var message = document.getElementById("name-message");
    var pattern = new RegExp(input.getAttribute("data-name-pattern"));
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var bad = file && (!pattern.test(file.name) || /\.part$/.test(file.name));
      message.hidden = !bad;
      message.textContent = bad ? message.getAttribute("data-message") + " (" + file.name + ")" : "";
      input.setCustomValidity(bad ? message.textContent : "");
    });
  }
  var waiting = document.getElementById("waiting");
  if (waiting) {
    var url = waiting.getAttribute("data-state-url");
    var poll = function () {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (s) {
          if (s && s.answered) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
})();
