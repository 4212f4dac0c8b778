// Checkout: choosing "A new address" or "A new card" shows its fields; a saved one hides them.
for (const group of document.querySelectorAll(".checkout fieldset")) {
  const radios = [...group.querySelectorAll("input[type=radio]")];
  const revealer = radios.find((r) => r.dataset.reveals);
  if (!revealer) continue;
  const panel = document.getElementById(revealer.dataset.reveals);
  const sync = () => { panel.hidden = !revealer.checked; };
  radios.forEach((radio) => radio.addEventListener("change", sync));
  sync();
}
