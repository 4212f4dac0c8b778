// The plan form: show the product and creator pickers the chosen kind needs, filter the product list as the
// seller types, and add a suggested creator's handle to the invitation field.
const kind = document.querySelector("[data-plan-kind]");
const pickers = document.querySelectorAll("[data-for-kinds]");

function showPickers() {
  for (const picker of pickers) picker.hidden = !picker.dataset.forKinds.split(" ").includes(kind.value);
}
if (kind) {
  kind.addEventListener("change", showPickers);
  showPickers();
}

for (const input of document.querySelectorAll("[data-filter-list]")) {
  const list = document.getElementById(input.dataset.filterList);
  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLowerCase();
    for (const item of list.querySelectorAll("[data-filter-text]")) {
      item.hidden = wanted !== "" && !item.dataset.filterText.includes(wanted);
    }
  });
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-handle]");
  if (!button) return;
  const field = document.getElementById("f-creators");
  const handle = "@" + button.dataset.addHandle;
  const present = field.value.split(/[\s,]+/).filter(Boolean);
  if (!present.includes(handle)) field.value = [...present, handle].join(" ");
  button.closest("li").remove();
  field.focus();
});
