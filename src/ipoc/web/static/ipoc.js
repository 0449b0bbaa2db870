// Behaviour the pages used to carry inline (the Content-Security-Policy allows no inline script):
// - <form data-confirm="问题？">: asks before submitting (deletions);
// - <select data-autosubmit>: submits its form when the choice changes (list filters).
// Delegated from the document, so content swapped in by htmx gets it too.
document.addEventListener("submit", event => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);

document.addEventListener("change", event => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});
