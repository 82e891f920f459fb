// Review queue: "Tick all" ticks every draft of the form, or unticks them all when all are
// ticked. Loaded as a file: the pages allow no inline scripts (Content Security Policy).
(function () {
  'use strict';
  var button = document.getElementById('tick-all');
  if (!button) return;
  button.addEventListener('click', function () {
    var boxes = document.querySelectorAll('#review-form input[name="item_ids"]');
    var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
    Array.prototype.forEach.call(boxes, function (b) { b.checked = !all; });
  });
})();
