// The live room: the room's WebSocket (the page session cookie says who is watching; nothing is kept in page
// storage nor put in the URL), the pinned product with its flash sale, purchase banners, chat, and "Buy now"
// with the shopper's saved address and card (a sheet asks once when there are none).
import { api, ApiError, money, mmss, webUrl } from "./api.js";

const room = document.querySelector(".live-room");
if (room) start(room);

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));  // plain http on a LAN has no randomUUID
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function start(room) {
  const liveId = room.dataset.liveId;
  const signedIn = room.dataset.signedIn === "true";
  const signInUrl = room.dataset.signIn;
  const $ = (selector) => room.querySelector(selector);
  const ui = {
    viewers: $("[data-viewers]"), badge: $("[data-status-badge]"), banners: $("[data-banners]"),
    poster: $("[data-poster]"), card: $("[data-pinned]"), nothing: $("[data-nothing]"),
    image: $("[data-pinned-image]"), label: $("[data-pinned-label]"), title: $("[data-pinned-title]"),
    link: $("[data-pinned-link]"), price: $("[data-price]"), was: $("[data-was]"), sale: $("[data-sale]"),
    countdownLabel: $("[data-countdown-label]"), countdown: $("[data-countdown]"), saleLeft: $("[data-sale-left]"),
    stock: $("[data-stock]"), picker: $("[data-picker]"), pickerLabel: $("[data-picker-label]"),
    variant: $("[data-variant]"), buy: $("[data-buy]"), buyStatus: $("[data-buy-status]"),
    messages: $("[data-messages]"), chatEmpty: $("[data-chat-empty]"), say: $("[data-say]"),
    chatError: $("[data-chat-error]"), sheet: document.getElementById("buy-sheet"), form: $("[data-buy-form]"),
  };

  let status = room.dataset.status;
  let lastSeq = null;
  let skew = 0;           // the server's clock minus ours, from the events' "at"
  let pinned = null;      // {id, title, image_url}
  let product = null;     // the pinned product's full record (variants, prices, stock)
  let sale = null;        // the live's running flash sale, if any

  // --- the pinned product and its flash sale -------------------------------------------------------------------

  const serverNow = () => Date.now() + skew;
  const saleApplies = () => !!(sale && pinned && sale.product_id === pinned.id && sale.status === "running"
    && serverNow() < Date.parse(sale.ends_at));
  const inStock = (variant) => variant.inventory_quantity > 0;
  const variantName = (variant) => variant.title || Object.values(variant.options || {}).join(" / ") || "Default";

  function chosenVariant() {
    if (!product) return null;
    if (saleApplies()) return product.variants.find((v) => v.id === sale.variant_id) || null;
    const picked = product.variants.find((v) => v.id === ui.variant.value);
    return picked || product.variants.find(inStock) || product.variants[0] || null;
  }

  async function showPinned(summary) {
    pinned = summary;
    product = null;
    ui.card.hidden = !summary;
    ui.nothing.hidden = !!summary;
    const picture = summary ? webUrl(summary.image_url) : "";
    for (const image of [ui.image, ui.poster]) {
      image.hidden = !picture;
      if (picture) image.src = picture;
    }
    if (!summary) return;
    ui.title.textContent = summary.title;
    ui.link.href = `/products/${encodeURIComponent(summary.id)}?source=live:${encodeURIComponent(liveId)}`;
    ui.buyStatus.textContent = "";
    ui.price.textContent = "";
    ui.stock.textContent = "";
    ui.buy.disabled = true;
    try {
      const loaded = await api(`/api/v1/products/${encodeURIComponent(summary.id)}`);
      if (pinned && pinned.id === loaded.id) { product = loaded; fillPicker(); }
    } catch {
      ui.stock.textContent = "This product can't be bought right now.";
    }
    draw();
  }

  function fillPicker() {
    const choices = product.variants;
    ui.variant.replaceChildren(...choices.map((variant) => {
      const option = new Option(`${variantName(variant)} · ${money(variant.price, variant.currency)}${inStock(variant) ? "" : " (sold out)"}`, variant.id);
      option.disabled = !inStock(variant);
      return option;
    }));
    const first = choices.find(inStock);
    if (first) ui.variant.value = first.id;
    const names = (product.options || []).map((o) => (typeof o === "string" ? o : o.name)).filter(Boolean);
    ui.pickerLabel.textContent = names.join(" / ") || "Option";
  }

  function draw() {
    if (!pinned) return;
    const onSale = saleApplies();
    const variant = chosenVariant();
    ui.label.textContent = onSale ? "Flash sale" : "Pinned";
    ui.card.classList.toggle("live-product--sale", onSale);
    ui.picker.hidden = onSale || !product || product.variants.length < 2;
    ui.sale.hidden = !onSale;
    if (!variant) {
      ui.buy.disabled = true;
      return;
    }
    if (onSale) {
      const opens = Date.parse(sale.opens_at), ends = Date.parse(sale.ends_at), now = serverNow();
      const open = now >= opens;
      ui.price.textContent = money(sale.price, sale.currency);
      ui.was.textContent = money(variant.price, variant.currency);
      ui.was.hidden = !(variant.price > sale.price);
      ui.countdownLabel.textContent = open ? "Ends in" : "Starts in";
      ui.countdown.textContent = mmss(((open ? ends : opens) - now) / 1000);
      ui.saleLeft.textContent = sale.remaining > 0 ? `${sale.remaining} left` : "Sold out";
      ui.stock.textContent = open ? "" : `${money(variant.price, variant.currency)} until the sale opens`;
      ui.buy.disabled = sale.remaining <= 0 || status !== "live";
      return;
    }
    ui.price.textContent = money(variant.price, variant.currency);
    const higher = variant.compare_at_price && variant.compare_at_price > variant.price;
    ui.was.hidden = !higher;
    if (higher) ui.was.textContent = money(variant.compare_at_price, variant.currency);
    const left = variant.inventory_quantity;
    ui.stock.textContent = left <= 0 ? "Sold out" : left <= 5 ? `Only ${left} left` : "In stock";
    ui.buy.disabled = left <= 0 || status !== "live";
  }

  ui.variant.addEventListener("change", draw);
  setInterval(() => { if (saleApplies() || (sale && !ui.sale.hidden)) draw(); }, 1000);

  async function refreshStock() {
    if (!pinned) return;
    try {
      const loaded = await api(`/api/v1/products/${encodeURIComponent(pinned.id)}`);
      if (pinned && pinned.id === loaded.id) {
        const picked = ui.variant.value;
        product = loaded;
        fillPicker();
        if (product.variants.some((v) => v.id === picked && inStock(v))) ui.variant.value = picked;
        draw();
      }
    } catch { /* the next pin or purchase redraws */ }
  }

  // --- banners and chat -----------------------------------------------------------------------------------------

  function banner(text) {
    const item = document.createElement("li");
    item.textContent = text;  // never innerHTML: names are user text
    ui.banners.prepend(item);
    while (ui.banners.children.length > 3) ui.banners.lastElementChild.remove();
    setTimeout(() => item.remove(), 10000);
  }

  function chatLine(name, text) {
    const list = ui.messages;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const item = document.createElement("li");
    const who = document.createElement("strong");
    who.textContent = name;
    const said = document.createElement("span");
    said.textContent = text;  // chat is user text: always text, never markup
    item.append(who, " ", said);
    list.append(item);
    while (list.children.length > 100) list.firstElementChild.remove();
    ui.chatEmpty.hidden = true;
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function chatError(text) {
    if (ui.chatError) ui.chatError.textContent = text;
  }

  // --- the room's events ----------------------------------------------------------------------------------------

  function setStatus(value) {
    status = value;
    ui.badge.textContent = { live: "LIVE", ended: "ENDED" }[value] || "SOON";
    ui.badge.classList.toggle("live-badge--off", value !== "live");
    draw();
  }

  function handle(event) {
    if (typeof event.seq === "number") lastSeq = Math.max(lastSeq ?? 0, event.seq);
    if (event.at) skew = Date.parse(event.at) - Date.now();
    const data = event.data || {};
    switch (event.type) {
      case "state":
        ui.viewers.textContent = data.viewers;
        sale = data.flash_sale;
        setStatus(data.status);
        if ((data.pinned_product && data.pinned_product.id) !== (pinned && pinned.id) || !product) showPinned(data.pinned_product);
        else draw();
        break;
      case "pinned": showPinned(data.product); break;
      case "unpinned": showPinned(null); break;
      case "flash_sale.started": sale = data; draw(); break;
      case "flash_sale.stock": if (sale && sale.id === data.id) { sale.remaining = data.remaining; draw(); } break;
      case "flash_sale.ended": if (sale && sale.id === data.id) { sale.status = "ended"; refreshStock(); } break;
      case "purchase": banner(`${data.buyer} is buying`); break;
      case "chat": chatLine(data.user.name, data.text); break;
      case "viewers": ui.viewers.textContent = data.count; break;
      case "live.ended": setStatus("ended"); break;
      case "error": chatError(data.status === 401 ? "Sign in to chat." : data.detail); break;
    }
  }

  let socket;
  const outbox = [];  // messages typed while the socket (re)connects
  let retry = 500;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = lastSeq === null ? "" : `?since=${lastSeq}`;
    socket = new WebSocket(`${scheme}://${location.host}/ws/lives/${encodeURIComponent(liveId)}${query}`);
    socket.addEventListener("message", (message) => handle(JSON.parse(message.data)));
    socket.addEventListener("open", () => {
      retry = 500;
      while (outbox.length) socket.send(outbox.shift());
    });
    socket.addEventListener("close", (closed) => {
      if (closed.code === 4404 || closed.code === 4403) {
        chatError(closed.code === 4403 ? "You can't take part in this live." : "");
        return;
      }
      if (status === "ended") return;
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    });
  }

  if (ui.say) {
    ui.say.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.say.elements.namedItem("text").value.trim();
      if (!text) return;
      chatError("");
      const message = JSON.stringify({ type: "chat", text });
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(message); else outbox.push(message);
      ui.say.reset();
    });
  }

  // --- buy now ----------------------------------------------------------------------------------------------------

  let saved = null;             // {address, cards}: loaded at the first tap
  const declined = new Set();   // cards declined in this room: not offered again
  let attempt = null;           // the tap in progress: its Idempotency-Key and variant

  function say(text, tone) {
    ui.buyStatus.replaceChildren(text);
    ui.buyStatus.dataset.tone = tone || "";
  }

  async function details() {
    if (!saved) {
      const [addresses, cards] = await Promise.all([api("/api/v1/me/addresses"), api("/api/v1/me/cards")]);
      saved = { address: addresses.items[0] || null, cards: cards.items };
    }
    return { address: saved.address, card: saved.cards.find((card) => !declined.has(card.id)) || null };
  }

  const ADDRESS = ["name", "line1", "line2", "city", "postal_code", "country", "region", "phone"];
  const shippingAddress = (address) =>
    Object.fromEntries(ADDRESS.filter((key) => address[key] != null && address[key] !== "").map((key) => [key, address[key]]));

  ui.buy.addEventListener("click", async () => {
    if (!signedIn) { location.assign(signInUrl); return; }
    if (attempt) return;  // one purchase at a time
    const variant = chosenVariant();
    if (!variant) return;
    attempt = { key: uuid(), variantId: variant.id, freshCard: null };
    ui.buy.setAttribute("aria-disabled", "true");
    try {
      const { address, card } = await details();
      if (address && card) await purchase(address, card);
      else { ask({ address: !address, card: !card }); return; }
    } catch (error) {
      failed(error);
    }
    done();
  });

  function done() {
    attempt = null;
    ui.buy.removeAttribute("aria-disabled");
  }

  function failed(error) {
    if (error instanceof ApiError && error.status === 401) { location.assign(signInUrl); return; }
    say(error instanceof ApiError ? error.message : "We couldn't reach the shop. Check your connection and try again.", "bad");
  }

  async function purchase(address, card) {
    say("Placing your order…");
    try {
      const result = await api("/api/v1/orders", {
        method: "POST",
        idempotencyKey: attempt.key,
        body: {
          items: [{ variant_id: attempt.variantId, quantity: 1, source: { type: "live", id: liveId } }],
          shipping_address: shippingAddress(address),
          payment: { token: card.token },
        },
      });
      const order = result.orders[0];
      const link = document.createElement("a");
      link.href = `/orders/${encodeURIComponent(order.id)}`;
      link.textContent = "See the order";
      ui.buyStatus.replaceChildren(`Ordered: ${result.orders.map((o) => o.number).join(", ")}. `, link);
      ui.buyStatus.dataset.tone = "ok";
      refreshStock();
    } catch (error) {
      if (error instanceof ApiError && error.code === "payment_declined") {
        declined.add(card.id);
        if (attempt.freshCard === card.id) {  // a card that never paid is not kept
          saved.cards = saved.cards.filter((c) => c.id !== card.id);
          await api(`/api/v1/me/cards/${encodeURIComponent(card.id)}`, { method: "DELETE" }).catch(() => {});
        }
        say("Your card was declined. Nothing was charged and nothing was ordered: tap Buy now to use another card.", "bad");
        return;
      }
      throw error;
    }
  }

  // The sheet: asks once for what is missing, saves it, then buys with the same tap's key.
  const FIELDS = {
    address: { name: "name", line1: "line1", city: "city", postal_code: "postal_code", country: "country" },
    card: { number: "number", exp_month: "expiry", exp_year: "expiry", cvc: "cvc" },
  };
  const MESSAGES = {
    name: "Enter the full name of who receives the parcel",
    line1: "Enter the first line of the address",
    city: "Enter the town or city",
    postal_code: "Enter the postal code",
    country: "Choose the country",
    number: "Enter the card number",
    expiry: "Enter the expiry date as MM/YY, like 12/30",
    cvc: "Enter the 3 or 4 digit security code",
  };
  let needs = null;

  function ask(missing) {
    needs = missing;
    clearErrors();
    for (const part of ["address", "card"]) {
      const fieldset = ui.form.querySelector(`[data-need="${part}"]`);
      fieldset.hidden = !missing[part];
      fieldset.disabled = !missing[part];
    }
    ui.sheet.showModal();
    ui.form.querySelector("fieldset:not([hidden]) input, fieldset:not([hidden]) select")?.focus();
  }

  ui.sheet?.addEventListener("close", () => {
    if (needs && attempt) { needs = null; say(""); done(); }  // closed without buying
  });

  function clearErrors() {
    ui.form.querySelector("[data-form-error]").hidden = true;
    for (const error of ui.form.querySelectorAll(".field__error[data-for]")) error.remove();
    for (const input of ui.form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      const hint = input.id + "-hint";
      if (document.getElementById(hint)) input.setAttribute("aria-describedby", hint);
      else input.removeAttribute("aria-describedby");
      input.closest(".field")?.classList.remove("field--error");
    }
  }

  function fieldError(name, text) {
    const input = ui.form.elements.namedItem(name);
    if (!input || input.getAttribute("aria-invalid")) return;
    const error = document.createElement("p");
    error.className = "field__error";
    error.id = `${input.id}-error`;
    error.dataset.for = name;
    error.setAttribute("role", "alert");
    error.textContent = text;
    input.before(error);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), error.id].filter(Boolean).join(" "));
    input.closest(".field")?.classList.add("field--error");
  }

  function formError(text) {
    const box = ui.form.querySelector("[data-form-error]");
    box.textContent = text;
    box.hidden = false;
  }

  function apiErrors(error, part) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) throw error;
    const fields = FIELDS[part];
    let placed = false;
    for (const problem of error.errors || []) {
      const name = fields[(problem.loc || []).at(-1)];
      if (!name) continue;
      // Shape problems get the field's own sentence; a refusal (not a test card, expired) says what it is.
      fieldError(name, error.code === "validation_error" ? MESSAGES[name] || problem.msg : error.message);
      placed = true;
    }
    if (!placed) formError(error.message);
  }

  function expiry(text) {
    const match = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(text);
    if (!match) return null;
    const year = Number(match[2]);
    return { exp_month: Number(match[1]), exp_year: year < 100 ? 2000 + year : year };
  }

  ui.form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!attempt || !needs || ui.form.dataset.busy) return;
    ui.form.dataset.busy = "1";
    clearErrors();
    const values = Object.fromEntries(new FormData(ui.form));
    try {
      if (needs.address) {
        try {
          const body = Object.fromEntries(["name", "line1", "city", "postal_code", "country"].map((k) => [k, (values[k] || "").trim()]));
          saved.address = await api("/api/v1/me/addresses", { method: "POST", body });
          needs.address = false;
        } catch (error) { apiErrors(error, "address"); }
      }
      if (needs.card) {
        const when = expiry(values.expiry || "");
        if (!when) fieldError("expiry", MESSAGES.expiry);
        if (!/^\d{3,4}$/.test((values.cvc || "").trim())) fieldError("cvc", MESSAGES.cvc);
        if (!(values.number || "").trim()) fieldError("number", "Enter the card number");
        if (when && !ui.form.querySelector(".field__error[data-for]")) {
          try {
            const card = await api("/api/v1/me/cards", { method: "POST", body: { number: values.number.trim(), ...when, cvc: values.cvc.trim() } });
            saved.cards = [card, ...saved.cards.filter((c) => c.id !== card.id)];
            declined.delete(card.id);
            attempt.freshCard = card.id;
            needs.card = false;
          } catch (error) { apiErrors(error, "card"); }
        }
      }
      if (needs.address || needs.card) {
        for (const part of ["address", "card"]) {  // what was saved is not asked again
          const fieldset = ui.form.querySelector(`[data-need="${part}"]`);
          fieldset.hidden = !needs[part];
          fieldset.disabled = !needs[part];
        }
        ui.form.querySelector("[aria-invalid], [data-form-error]:not([hidden])")?.focus?.();
        return;
      }
      needs = null;
      ui.sheet.close();
      ui.form.reset();
      const { address, card } = await details();
      await purchase(address, card);
      done();
    } catch (error) {
      needs = null;
      if (ui.sheet.open) ui.sheet.close();
      failed(error);
      done();
    } finally {
      delete ui.form.dataset.busy;
    }
  });

  // --- the stream -----------------------------------------------------------------------------------------------

  const video = room.querySelector("[data-stream]");
  const play = room.querySelector("[data-play]");
  if (video && play) {
    play.addEventListener("click", () => {
      video.src = video.dataset.stream;
      video.hidden = false;
      play.hidden = true;
      video.play().catch(() => { video.controls = true; });
    });
    video.addEventListener("error", () => {
      video.hidden = true;
      play.hidden = false;
      play.textContent = "The stream isn't reachable: try again";
    });
  }

  connect();
}
