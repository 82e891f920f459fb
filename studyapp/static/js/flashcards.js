// Flashcard keyboard shortcuts (loaded as a file: the pages allow no inline scripts).
// Space shows the answer (submits #flip-form); 1-4 rate the card (submit the form with
// data-rating="N"). Keys are ignored while typing in a field or with a modifier held.
(function () {
  'use strict';
  var sent = false;

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
  }

  function send(form) {
    if (!form || sent) return;
    sent = true;  // one submission per page: a held or repeated key does not rate twice
    if (typeof form.requestSubmit === 'function') form.requestSubmit(); else form.submit();
  }

  // Coming back to the page from the browser's history: the keys work again.
  window.addEventListener('pageshow', function () { sent = false; });

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.repeat || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (e.key === ' ' || e.code === 'Space') {
      var flip = document.getElementById('flip-form');
      if (flip) { e.preventDefault(); send(flip); }
      return;
    }
    if (/^[1-4]$/.test(e.key)) {
      var rate = document.querySelector('form.rate-form[data-rating="' + e.key + '"]');
      if (rate) { e.preventDefault(); send(rate); }
    }
  });
})();
