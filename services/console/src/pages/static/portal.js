// 信访人门户: the receipt's print button (no inline script under the page's CSP).
document.addEventListener('DOMContentLoaded', function () {
  var b = document.getElementById('print');
  if (b) { b.addEventListener('click', function () { window.print(); }); }
});
