// 办理与调解页面: focus the first error after a refused submission (or the confirmation after a
// saved one), and fill an evidence file's size and SHA-256 from a chosen file (never uploaded).
(function () {
  "use strict";
  function ready(f) {
    if (document.readyState !== "loading") f(); else document.addEventListener("DOMContentLoaded", f);
  }
  function hex(buffer) {
    var b = new Uint8Array(buffer), s = "";
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }
  ready(function () {
    var invalid = document.querySelector("[aria-invalid=true]");
    var banner = document.querySelector("[data-first-error]");
    var done = document.getElementById("done");
    if (banner) { banner.setAttribute("tabindex", "-1"); banner.focus(); }
    else if (invalid) invalid.focus();
    else if (done) done.focus();
    var inputs = document.querySelectorAll("input[type=file][data-hash-into]");
    Array.prototype.forEach.call(inputs, function (input) {
      var form = input.getAttribute("data-hash-into");
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        var name = document.getElementById(form + "-att_name");
        var size = document.getElementById(form + "-att_size");
        var sha = document.getElementById(form + "-att_sha256");
        if (name) name.value = file.name;
        if (size) size.value = String(file.size);
        if (sha && window.crypto && window.crypto.subtle && file.arrayBuffer) {
          file.arrayBuffer().then(function (b) { return window.crypto.subtle.digest("SHA-256", b); })
            .then(function (d) { sha.value = hex(d); });
        }
      });
    });
  });
})();
