// 登记页面: representatives (at most five, the sixth refused with the article), keyboard
// shortcuts (Alt+N adds a representative, Ctrl+Enter submits), focus on the error summary.
(function () {
  "use strict";
  function ready(f) {
    if (document.readyState !== "loading") f(); else document.addEventListener("DOMContentLoaded", f);
  }
  ready(function () {
    var list = document.getElementById("rep-list");
    var add = document.getElementById("add-rep");
    var refused = document.getElementById("reps-refused");
    var tpl = document.getElementById("rep-template");
    var form = document.getElementById("register");
    if (!list || !add || !tpl || !form) return;
    var max = +list.getAttribute("data-max") || 5;

    function addRep() {
      var n = list.querySelectorAll("[data-rep]").length;
      if (n >= max) {
        refused.hidden = false;
        refused.textContent = refused.textContent; // announce again
        add.setAttribute("aria-describedby", "reps-refused");
        return;
      }
      var html = tpl.innerHTML.split("__I__").join(String(n)).split("__N__").join(String(n + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      list.appendChild(row);
      var first = row.querySelector("input");
      if (first) first.focus();
    }
    add.addEventListener("click", addRep);
    document.addEventListener("keydown", function (e) {
      if (e.altKey && (e.key === "n" || e.key === "N")) { e.preventDefault(); addRep(); }
      if (e.ctrlKey && e.key === "Enter") {
        e.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
