// Admin pages: what Flask-Admin's onclick="..." handlers did, which the Content Security
// Policy forbids (studyapp/csp.py). Our copies of its templates (templates/admin/) carry data
// attributes instead:
//   [data-confirm]      a submit button (delete a row): asks first; "Cancel" sends nothing.
//   [data-inline-add]   "Add <inline model>": adds an inline form row (faForm.addInlineField).
//   [data-model-action] "With selected" menu item: runs the bulk action (modelActions.execute).
// Links to "#" (our copies) and the javascript:void(0) placeholders left in Flask-Admin's other
// templates (menu toggles, the current tab, the current page number) only serve scripts: their
// clicks are cancelled, so the browser neither jumps to "#" nor tries to run the javascript:
// URL (it would refuse and report a policy violation). Bootstrap cancels a dropdown toggle's
// click itself, but Flask-Admin's multi-level dropdown script stops that click first; hence
// this listener runs in the capture phase, before any other.
(function () {
  'use strict';

  function ask(message) {
    try {
      return window.confirm(message);
    } catch (e) {
      return false;  // as Flask-Admin's faHelpers.safeConfirm: no dialog possible, no delete
    }
  }

  document.addEventListener('click', function (e) {
    var target = e.target instanceof Element ? e.target : null;
    if (!target) return;

    var confirmed = target.closest('[data-confirm]');
    if (confirmed) {
      if (!ask(confirmed.getAttribute('data-confirm'))) e.preventDefault();
      return;
    }
    var add = target.closest('[data-inline-add]');
    if (add) {
      e.preventDefault();
      window.faForm.addInlineField(add, add.getAttribute('data-inline-add'));
      return;
    }
    var action = target.closest('[data-model-action]');
    if (action) {
      e.preventDefault();
      window.modelActions.execute(action.getAttribute('data-model-action'));
      return;
    }
    var link = target.closest('a[href]');
    if (link && /^\s*(#$|javascript:)/i.test(link.getAttribute('href'))) e.preventDefault();
  }, true);
})();
