// The feed: one video per screen (CSS scroll-snap). The video on screen plays muted (Unmute turns sound on for the
// feed), the others pause; a view is counted once per video. Each video's cues (data-cues, rendered by the
// server) show at their seconds: product anchors as cards that open the quick-buy sheet, promo and showcase
// tiles. More videos load as the last one comes near.
import { api, money } from "./api.js";
import { enhance } from "./follow.js";

const feed = document.querySelector("[data-feed]");
const SHOW_WITHOUT_END_S = 5;  // a cue with no end stays this long after its start
const signedIn = feed?.dataset.signedIn === "true";
// People who ask for less motion start each video themselves (Play); the cues follow either way.
const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
let soundOn = false;
const viewed = new Set();

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
};

const showing = (cue, t) => t >= cue.start_s && t < (cue.end_s ?? cue.start_s + SHOW_WITHOUT_END_S);

function countView(videoId) {
  if (viewed.has(videoId)) return;
  viewed.add(videoId);
  api(`/api/v1/videos/${encodeURIComponent(videoId)}/views`, { method: "POST" }).catch(() => viewed.delete(videoId));
}

function productCard(cue, { tag, label }) {
  const attrs = tag === "a" ? { href: cue.href, class: "cue-card" } : { type: "button", class: "cue-card" };
  const image = cue.image_url ? el("img", { src: cue.image_url, alt: "", width: 56, height: 56 }) : el("span", { class: "cue-card__image--none", "aria-hidden": "true" });
  return el(tag, attrs, image, el("span", { class: "cue-card__text" },
    el("span", { class: "cue-card__label", text: label }),
    el("span", { class: "cue-card__title", text: cue.title }),
    el("span", { class: "cue-card__price", text: cue.price })));
}

// A clock for media that is a still image (the demo's posters): time runs while it is on screen and loops.
function stillClock(duration) {
  let started = null, offset = 0, timer = null;
  return {
    get currentTime() { return started === null ? offset : (offset + (performance.now() - started) / 1000) % Math.max(1, duration); },
    play(tick) { if (started === null) { started = performance.now(); timer = setInterval(tick, 250); } },
    pause() { if (started !== null) { offset = this.currentTime; started = null; clearInterval(timer); } },
  };
}

function setUp(article) {
  if (article.dataset.ready) return;
  article.dataset.ready = "1";
  const videoId = article.dataset.video;
  const cues = JSON.parse(article.dataset.cues || "{}");
  const clip = article.querySelector("video.clip");
  const cards = article.querySelector("[data-cards]");
  const tiles = article.querySelector("[data-tiles]");
  const shown = [];

  for (const anchor of cues.anchors || []) {
    const card = productCard(anchor, { tag: "button", label: anchor.label });
    card.addEventListener("click", () => quickBuy.open(anchor, videoId, clip));
    card.hidden = true;
    cards.append(card);
    shown.push([anchor, card]);
  }
  for (const tile of cues.tiles || []) {
    const node = tile.kind === "promo"
      ? el("p", { class: "promo-tile" }, el("span", { text: tile.text }), ...(tile.coupon_code ? [" · code ", el("b", { text: tile.coupon_code })] : []))
      : productCard(tile, { tag: "a", label: tile.text });
    node.hidden = true;
    (tile.kind === "promo" ? tiles : cards).append(node);
    shown.push([tile, node]);
  }
  const update = (t) => { for (const [cue, node] of shown) node.hidden = !showing(cue, t); };

  let player;
  if (clip) {
    clip.controls = false;
    const controls = article.querySelector("[data-controls]");
    const mute = article.querySelector("[data-mute]");
    const play = article.querySelector("[data-play]");
    controls.hidden = false;
    const label = () => {
      mute.textContent = clip.muted ? "Unmute" : "Mute";
      play.textContent = clip.paused ? "Play" : "Pause";
    };
    mute.addEventListener("click", () => { soundOn = clip.muted; clip.muted = !soundOn; label(); });
    play.addEventListener("click", () => { if (clip.paused) clip.play().catch(() => {}); else clip.pause(); });
    clip.addEventListener("click", () => play.click());
    clip.addEventListener("play", label);
    clip.addEventListener("pause", label);
    clip.addEventListener("volumechange", label);
    label();
    clip.addEventListener("playing", () => countView(videoId));
    clip.addEventListener("timeupdate", () => update(clip.currentTime));
    player = {
      moves: true,
      play() {
        clip.muted = !soundOn;
        clip.play().catch(() => {});
        // The next video gets ready while this one plays, so the swipe to it starts at once.
        const next = article.nextElementSibling?.querySelector("video.clip");
        if (next && next.preload === "none") next.preload = "metadata";
      },
      pause() { clip.pause(); },
    };
  } else {
    const clock = stillClock(Number(article.dataset.duration) || 15);
    player = {
      play() { countView(videoId); clock.play(() => update(clock.currentTime)); update(clock.currentTime); },
      pause() { clock.pause(); },
    };
  }
  article.player = player;
  onScreen.observe(article);
  enhance(article);
}

const onScreen = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const player = entry.target.player;
    if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
      if (!quickBuy.isOpen() && !(calm && player.moves)) player.play();
    } else {
      player.pause();
    }
  }
}, { root: feed, threshold: [0, 0.6] });

// --- more videos ----------------------------------------------------------------------------------------------

let loading = false;
async function loadMore(link) {
  if (loading) return;
  loading = true;
  try {
    const answer = await fetch(link.href, { headers: { accept: "text/html" }, credentials: "same-origin" });
    if (!answer.ok) return;
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const holder = link.closest(".feed__more");
    for (const article of page.querySelectorAll("[data-feed] > article.video")) {
      if (document.getElementById(article.id)) continue;
      const adopted = document.adoptNode(article);
      holder.before(adopted);
      setUp(adopted);
    }
    const next = page.querySelector("[data-feed] [data-more]");
    if (next) link.href = next.getAttribute("href");
    else { nearEnd.disconnect(); holder.remove(); }
  } finally {
    loading = false;
  }
}

const nearEnd = new IntersectionObserver((entries) => {
  for (const entry of entries) if (entry.isIntersecting) loadMore(entry.target);
}, { root: feed, rootMargin: "0px 0px 100% 0px" });

// --- the quick-buy sheet --------------------------------------------------------------------------------------

const quickBuy = (() => {
  const dialog = document.getElementById("quick-buy");
  const $ = (selector) => dialog.querySelector(selector);
  const form = $("[data-qb-form]");
  const options = $("[data-qb-options]");
  const message = $("[data-qb-message]");
  const buy = $("[data-qb-buy]");
  const add = $("[data-qb-add]");
  let product = null, variant = null, videoId = null, paused = null;

  function picks() {
    return Object.fromEntries(product.options.map((option, i) => [option.name, form.querySelector(`input[name="qb-option-${i}"]:checked`)?.value]));
  }

  function choose() {
    const chosen = picks();
    variant = product.options.length
      ? product.variants.find((v) => product.options.every((o) => v.options[o.name] === chosen[o.name])) || null
      : product.variants.find((v) => v.inventory_quantity > 0) || product.variants[0] || null;
    const left = variant ? variant.inventory_quantity : 0;
    $("[data-qb-price]").textContent = variant ? money(variant.price, variant.currency) : "";
    $("[data-qb-stock]").textContent = !variant ? "Not available in this combination" : left <= 0 ? "Sold out" : left <= 5 ? `Only ${left} left` : "In stock";
    const open = variant && left > 0;
    add.disabled = !open;
    if (open) {
      buy.href = `/checkout?buy=${encodeURIComponent(variant.id)}&quantity=1&source=${encodeURIComponent(`video:${videoId}`)}`;
      buy.removeAttribute("aria-disabled");
    } else {
      buy.removeAttribute("href");
      buy.setAttribute("aria-disabled", "true");
    }
  }

  function picker() {
    options.replaceChildren();
    const first = product.variants.find((v) => v.inventory_quantity > 0) || product.variants[0];
    product.options.forEach((option, i) => {
      const values = el("div", { class: "options__values" });
      for (const value of option.values) {
        const inStock = product.variants.some((v) => v.options[option.name] === value && v.inventory_quantity > 0);
        const radio = el("input", { type: "radio", name: `qb-option-${i}`, value });
        radio.checked = first?.options[option.name] === value;
        radio.addEventListener("change", choose);
        values.append(el("label", { class: inStock ? "pill" : "pill pill--out" }, radio,
          el("span", {}, value, ...(inStock ? [] : [el("span", { class: "visually-hidden", text: " (sold out)" })]))));
      }
      options.append(el("fieldset", { class: "options" }, el("legend", { text: option.name }), values));
    });
    choose();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!variant) return;
    if (!signedIn) { window.location.assign(signInUrl()); return; }
    add.disabled = true;
    try {
      const cart = await api("/api/v1/cart/items", { method: "POST", body: { variant_id: variant.id, quantity: 1, source: { type: "video", id: videoId } } });
      message.textContent = "Added to your cart.";
      cartBadge(cart.lines.length);
    } catch (error) {
      if (error.status === 401) { window.location.assign(signInUrl()); return; }
      message.textContent = error.message || "Could not add it to your cart. Try again.";
    } finally {
      add.disabled = false;
    }
  });

  const signInUrl = () => `/signin?next=${encodeURIComponent(`/feed?start=${videoId}`)}`;

  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });  // the backdrop
  dialog.addEventListener("close", () => { if (paused && paused.isConnected) paused.play().catch(() => {}); paused = null; });

  return {
    isOpen: () => dialog.open,
    async open(anchor, fromVideo, clip) {
      videoId = fromVideo;
      message.textContent = "";
      $(".sheet__head h2").textContent = anchor.title;
      $("[data-qb-view]").href = anchor.href;
      const image = $("[data-qb-image]");
      image.hidden = !anchor.image_url;
      if (anchor.image_url) image.src = anchor.image_url;
      options.replaceChildren();
      $("[data-qb-price]").textContent = anchor.price;
      $("[data-qb-stock]").textContent = "Loading…";
      buy.removeAttribute("href");
      buy.setAttribute("aria-disabled", "true");
      add.disabled = true;
      if (clip && !clip.paused) { clip.pause(); paused = clip; }
      dialog.showModal();
      try {
        product = await api(`/api/v1/products/${encodeURIComponent(anchor.product_id)}`);
        picker();
      } catch (error) {
        $("[data-qb-stock]").textContent = error.status === 404 ? "This product is no longer on sale." : "Could not load this product. Try again.";
      }
    },
  };
})();

function cartBadge(count) {
  const link = document.querySelector(".cart-link");
  if (!link) return;
  link.setAttribute("aria-label", count ? `Cart, ${count} ${count === 1 ? "line" : "lines"}` : "Cart");
  let badge = link.querySelector(".badge");
  if (!badge && count) { badge = el("span", { class: "badge" }); link.append(badge); }
  if (badge) badge.textContent = String(count);
}

if (feed) {
  for (const article of feed.querySelectorAll("article.video")) setUp(article);
  const more = feed.querySelector("[data-more]");
  if (more) nearEnd.observe(more);
}
