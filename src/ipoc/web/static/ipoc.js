// Behaviour the pages used to carry inline (the Content-Security-Policy allows no inline script):
// - <form data-confirm="问题？">, or a submit button with data-confirm (a form whose other buttons need no
//   question): asks before submitting an irreversible step (deletion, submitting a score, closing a panel …);
// - <select data-autosubmit>: submits its form when the choice changes (list filters);
// - <input data-org-search list="…">: fills its <datalist> with the organisations whose names match what is
//   typed (type-ahead); without script the exact name typed is resolved by the server.
// Delegated from the document, so content swapped in by htmx gets it too.
document.addEventListener("submit", event => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = event.submitter?.dataset.confirm || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);

document.addEventListener("change", event => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});

let orgSearch = null;
document.addEventListener("input", event => {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.hasAttribute("data-org-search") || !field.list) return;
  clearTimeout(orgSearch);
  orgSearch = setTimeout(async () => {
    const answer = await fetch(`${field.dataset.orgSearch}?q=${encodeURIComponent(field.value.trim())}`);
    if (answer.ok) field.list.innerHTML = await answer.text();
  }, 200);
});
