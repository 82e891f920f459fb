// Question page: digits 1-9 pick an option; the exam countdown (display only: the server
// enforces the deadline). No inline scripts, so the page can run under a strict CSP.
(function () {
  document.addEventListener('keydown', function (e) {
    if (e.target.tagName === 'INPUT' && e.target.type === 'text') return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var n = parseInt(e.key, 10);
    var inputs = document.querySelectorAll('.option-list input:not([disabled])');
    if (n >= 1 && n <= inputs.length) {
      inputs[n - 1].click();
      inputs[n - 1].focus();
    }
  });

  // A form is sent once: a double click on Check (or Save) would otherwise send it twice (the
  // server ignores a second Check from one page, by its tries_seen field, but a second Save
  // would be saved again). The clicked button's name and value go with the one submission.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = '1';
      var button = e.submitter;
      if (button && button.name) {
        var copy = document.createElement('input');
        copy.type = 'hidden'; copy.name = button.name; copy.value = button.value;
        form.appendChild(copy);
      }
      form.querySelectorAll('button[type="submit"], input[type="submit"]').forEach(function (b) { b.disabled = true; });
    });
  });

  var clock = document.getElementById('countdown');
  if (!clock) return;
  var left = parseInt(clock.getAttribute('data-seconds-left'), 10);
  var ends = Date.now() + left * 1000;
  function show() {
    var s = Math.max(0, Math.round((ends - Date.now()) / 1000));
    var m = Math.floor(s / 60);
    clock.textContent = m + ':' + String(s % 60).padStart(2, '0');
    if (s <= 60) clock.classList.add('text-danger');
    if (s === 0) {
      clearInterval(timer);
      // Save what is on the page before the grace period ends; the server decides.
      var form = document.getElementById('answer-form');
      var finish = form && form.querySelector('[name="finish"]');
      if (finish) {
        var flag = document.createElement('input');
        flag.type = 'hidden'; flag.name = 'timeup'; flag.value = '1';
        form.appendChild(flag);
        finish.click();
      }
    }
  }
  var timer = setInterval(show, 1000);
  show();
})();
