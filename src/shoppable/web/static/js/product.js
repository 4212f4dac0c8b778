// The product page: options pick a variant; price, compare-at price, stock and SKU follow the choice, and
// values that would only lead to sold-out variants are disabled. The gallery's thumbnails switch the picture.
import { money } from "./api.js";

const form = document.querySelector("[data-product-form]");
if (form) {
  const variants = JSON.parse(form.dataset.variants);
  const radios = [...form.querySelectorAll("input[data-option]")];
  const names = [...new Set(radios.map((r) => r.dataset.option))];
  const $ = (selector) => document.querySelector(selector);

  const chosen = () => Object.fromEntries(names.map((n) => [n, form.querySelector(`input[data-option="${CSS.escape(n)}"]:checked`)?.value]));
  const matches = (variant, picks) => Object.entries(picks).every(([n, v]) => v === undefined || variant.options[n] === v);

  // Choosing a value whose combination with the other choices is sold out moves the other options to the
  // closest variant in stock that has it (as the big shops do); values no variant in stock has stay disabled.
  function closest(name, value) {
    const picks = chosen();
    const open = variants.filter((v) => v.inventory_quantity > 0 && v.options[name] === value);
    const score = (v) => names.filter((n) => v.options[n] === picks[n]).length;
    return open.sort((a, b) => score(b) - score(a))[0];
  }

  function choose(variant) {
    for (const radio of radios) radio.checked = variant.options[radio.dataset.option] === radio.value;
  }

  function update() {
    const picks = chosen();
    const variant = variants.find((v) => matches(v, picks) && names.every((n) => picks[n] !== undefined)) || null;
    for (const radio of radios) {
      const others = { ...picks, [radio.dataset.option]: radio.value };
      radio.disabled = !variants.some((v) => v.inventory_quantity > 0 && v.options[radio.dataset.option] === radio.value);
      const open = variants.some((v) => v.inventory_quantity > 0 && matches(v, others));
      radio.closest(".pill")?.classList.toggle("pill--out", !open);
    }
    const buttons = form.querySelectorAll("[data-buy]");
    if (!variant) {
      $("[data-stock]").textContent = "Choose an option";
      buttons.forEach((b) => { b.disabled = true; });
      return;
    }
    form.querySelector("[data-variant-id]").value = variant.id;
    $("[data-price]").textContent = money(variant.price, variant.currency);
    const compare = $("[data-compare]");
    const higher = variant.compare_at_price && variant.compare_at_price > variant.price;
    compare.hidden = !higher;
    if (higher) $("[data-compare-amount]").textContent = money(variant.compare_at_price, variant.currency);
    const left = variant.inventory_quantity;
    $("[data-stock]").textContent = left <= 0 ? "Sold out" : left <= 5 ? `Only ${left} left` : "In stock";
    $("[data-sku]").textContent = variant.sku || "—";
    const quantity = form.querySelector("#quantity");
    quantity.max = String(Math.max(1, Math.min(99, left)));
    buttons.forEach((b) => { b.disabled = left <= 0; });
  }

  radios.forEach((radio) => radio.addEventListener("change", () => {
    const picks = chosen();
    const exact = variants.find((v) => v.inventory_quantity > 0 && matches(v, picks));
    if (!exact) {
      const near = closest(radio.dataset.option, radio.value);
      if (near) choose(near);
    }
    update();
  }));
  update();
}

const main = document.getElementById("gallery-main");
for (const thumb of document.querySelectorAll(".gallery__thumb")) {
  thumb.addEventListener("click", () => {
    main.src = thumb.dataset.src;
    main.alt = thumb.dataset.alt;
    document.querySelectorAll(".gallery__thumb").forEach((t) => t.removeAttribute("aria-current"));
    thumb.setAttribute("aria-current", "true");
  });
}
