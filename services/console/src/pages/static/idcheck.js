// 公民身份号码校验 (GB 11643-1999): length, birth date and check digit, checked as it is typed.
// Served by the console (no CDN); works on every input carrying data-idnumber, including rows
// added later (the listener is on the document).
(function () {
  "use strict";
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CODES = "10X98765432";

  function check(raw, today) {
    var v = (raw || "").trim().toUpperCase();
    if (v === "") return { state: "empty", message: "" };
    if (!/^[0-9]{0,17}[0-9X]?$/.test(v) || (v.indexOf("X") >= 0 && v.indexOf("X") !== 17)) {
      return { state: "bad", message: "只能填写数字，最后一位可以是 X" };
    }
    if (v.length < 18) return { state: "partial", message: "已输入 " + v.length + " 位，共 18 位" };
    var y = +v.slice(6, 10), m = +v.slice(10, 12), d = +v.slice(12, 14);
    var birth = new Date(Date.UTC(y, m - 1, d));
    var now = today || new Date();
    if (y < 1900 || birth.getUTCFullYear() !== y || birth.getUTCMonth() !== m - 1 ||
        birth.getUTCDate() !== d || birth.getTime() > now.getTime()) {
      return { state: "bad", message: "出生日期（第 7–14 位）不正确，请核对" };
    }
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (+v.charAt(i)) * WEIGHTS[i];
    var expected = CODES.charAt(sum % 11);
    if (v.charAt(17) !== expected) {
      return { state: "bad", message: "校验位不正确（应为 " + expected + "），请核对号码" };
    }
    return { state: "ok", message: "号码校验通过，出生日期 " + v.slice(6, 10) + "-" + v.slice(10, 12) + "-" + v.slice(12, 14) };
  }

  function show(input) {
    var r = check(input.value);
    var out = document.getElementById(input.id + "-check");
    if (out) {
      out.textContent = r.message;
      out.className = "hint" + (r.state === "bad" ? " bad" : r.state === "ok" ? " ok" : "");
    }
    if (r.state === "bad") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  document.addEventListener("input", function (e) {
    var t = e.target;
    if (t && t.hasAttribute && t.hasAttribute("data-idnumber")) show(t);
  });
  // Numbers already filled in (a form shown again after an error) are checked at once.
  function checkAll() {
    var all = document.querySelectorAll("input[data-idnumber]");
    for (var i = 0; i < all.length; i++) if (all[i].value) show(all[i]);
  }
  if (document.readyState !== "loading") checkAll();
  else document.addEventListener("DOMContentLoaded", checkAll);
  window.xinfangIdCheck = check;
})();
