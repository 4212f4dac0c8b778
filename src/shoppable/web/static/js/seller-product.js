// The product form: "Add another variant" copies the last empty variant row with the next free number, so a seller
// adds as many variants as they need before saving (without JavaScript, empty rows are there to fill).
const button = document.querySelector("[data-add-variant]");
const list = document.querySelector("[data-variants]");

function rowNumber(row) {
  return Number(row.dataset.row);
}

if (button && list) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const rows = [...list.querySelectorAll("fieldset.variant")];
    const blank = rows.filter((row) => !row.querySelector("input[name$='_id']")).pop();
    if (!blank) return;
    const next = Math.max(...rows.map(rowNumber)) + 1;
    const from = rowNumber(blank);
    const copy = blank.cloneNode(true);
    copy.dataset.row = String(next);
    for (const element of copy.querySelectorAll("[name], [id], [for], [aria-describedby]")) {
      for (const attribute of ["name", "id", "for", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replaceAll(`v${from}_`, `v${next}_`).replaceAll(`f-v${from}-`, `f-v${next}-`));
      }
    }
    for (const input of copy.querySelectorAll("input")) {
      input.value = "";
      input.removeAttribute("aria-invalid");
    }
    for (const error of copy.querySelectorAll(".field__error")) error.remove();
    for (const field of copy.querySelectorAll(".field--error")) field.classList.remove("field--error");
    copy.querySelector("legend").textContent = `New variant ${rows.length + 1}`;
    blank.after(copy);
    copy.querySelector("input").focus();
  });
}
