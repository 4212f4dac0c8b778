// The live room: watch over a WebSocket, chat and buy once signed in. Plain JS, no build step.
(() => {
  const room = document.querySelector(".live-room");
  const liveId = room.dataset.liveId;
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("shoppable_token");
  let lastSeq = null;
  let pinned = null;
  let sale = null;

  function line(list, text) {
    const item = document.createElement("li");
    item.textContent = text;  // never innerHTML: chat is user text
    $(list).prepend(item);
    while ($(list).children.length > 50) $(list).lastChild.remove();
  }

  function showPinned(product) {
    pinned = product;
    $("pinned").hidden = !product;
    $("nothing-pinned").hidden = !!product;
    if (product) $("pinned-title").textContent = product.title;
    showSale();
  }

  function showSale() {
    const flash = $("flash");
    if (!sale || !pinned || sale.product_id !== pinned.id || sale.status !== "running") { flash.hidden = true; return; }
    const opens = Date.parse(sale.opens_at), ends = Date.parse(sale.ends_at), now = Date.now();
    const price = (sale.price / 100).toFixed(2) + " " + sale.currency;
    flash.hidden = false;
    flash.textContent = now < opens
      ? `Flash sale ${price} opens in ${Math.ceil((opens - now) / 1000)} s · ${sale.remaining} left`
      : `Flash sale ${price} · ${sale.remaining} left · ends in ${Math.max(0, Math.ceil((ends - now) / 1000))} s`;
  }
  setInterval(showSale, 1000);

  function handle(event) {
    if (typeof event.seq === "number") lastSeq = Math.max(lastSeq ?? 0, event.seq);
    const data = event.data || {};
    switch (event.type) {
      case "state":
        $("status").textContent = data.status;
        $("viewers").textContent = data.viewers;
        sale = data.flash_sale;
        showPinned(data.pinned_product);
        break;
      case "pinned": showPinned(data.product); break;
      case "unpinned": showPinned(null); break;
      case "flash_sale.started": sale = data; showSale(); break;
      case "flash_sale.stock": if (sale && sale.id === data.id) { sale.remaining = data.remaining; showSale(); } break;
      case "flash_sale.ended": if (sale && sale.id === data.id) { sale.status = "ended"; showSale(); } break;
      case "purchase": line("banners", `${data.buyer} is buying`); break;
      case "chat": line("messages", `${data.user.name}: ${data.text}`); break;
      case "viewers": $("viewers").textContent = data.count; break;
      case "live.ended": $("status").textContent = "ended"; break;
      case "error": line("messages", `(${data.detail})`); break;
    }
  }

  let socket;
  let outbox = [];  // messages typed while the socket (re)connects
  let reconnectNow = false;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = new URLSearchParams();
    if (token) query.set("token", token);
    if (lastSeq !== null) query.set("since", lastSeq);
    socket = new WebSocket(`${scheme}://${location.host}/ws/lives/${liveId}?${query}`);
    socket.onmessage = (message) => handle(JSON.parse(message.data));
    socket.onopen = () => { outbox.forEach((text) => socket.send(text)); outbox = []; };
    socket.onclose = (closed) => {
      if (closed.code === 4404 || closed.code === 4403) return;
      setTimeout(connect, reconnectNow ? 0 : 1000);
      reconnectNow = false;
    };
  }

  function signedIn() {
    $("signin").hidden = true;
    $("say").hidden = false;
  }
  if (token) signedIn();

  $("signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const body = new URLSearchParams({ username: form.get("email"), password: form.get("password") });
    const answer = await fetch("/api/v1/auth/token", { method: "POST", body });
    if (!answer.ok) { line("messages", "(wrong email or password)"); return; }
    token = (await answer.json()).access_token;
    sessionStorage.setItem("shoppable_token", token);
    signedIn();
    reconnectNow = true;
    socket.close();  // reconnects at once with the token, and with ?since= so nothing is missed
  });

  $("say").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = JSON.stringify({ type: "chat", text: e.target.text.value });
    if (socket.readyState === WebSocket.OPEN) socket.send(text); else outbox.push(text);
    e.target.reset();
  });

  $("buy").addEventListener("click", async () => {
    if (!token) { line("messages", "(sign in to buy)"); return; }
    const product = await (await fetch(`/api/v1/products/${pinned.id}`)).json();
    const variant = (sale && sale.product_id === pinned.id && sale.status === "running")
      ? sale.variant_id
      : (product.variants.find((v) => v.inventory_quantity > 0) || product.variants[0]).id;
    const answer = await fetch("/api/v1/orders", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({
        items: [{ variant_id: variant, quantity: 1, source: { type: "live", id: liveId } }],
        shipping_address: { name: "Live Shopper", line1: "1 Main St", city: "Lisbon", postal_code: "1000-001", country: "PT" },
        payment: { token: "tok_visa" },
      }),
    });
    const result = await answer.json();
    $("bought").textContent = answer.ok ? `Ordered: ${result.orders[0].number}` : result.detail;
  });

  connect();
})();
