// Follow and Like buttons: their forms post to the page routes without JavaScript; with it, the REST API does
// the work in place and every button of the same creator (or video) follows the new state.
import { api } from "./api.js";

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function signInOr(form, error) {
  if (error.status === 401) {
    window.location.assign(`/signin?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    return;
  }
  const status = document.querySelector("[data-feed-status]");
  if (status) status.textContent = error.message || "That did not work. Try again.";
  else form.submit();  // no place to say so here: let the page route answer
}

function setFollowing(handle, following, followers) {
  for (const form of document.querySelectorAll(`form[data-follow="${CSS.escape(handle)}"]`)) {
    form.querySelector("button[aria-pressed]").setAttribute("aria-pressed", String(following));
    form.action = `/creators/${encodeURIComponent(handle)}/${following ? "unfollow" : "follow"}`;
  }
  for (const count of document.querySelectorAll(`[data-followers="${CSS.escape(handle)}"]`)) {
    count.textContent = plural(followers, "follower", "followers");
  }
}

function setLiked(videoId, liked, likes) {
  for (const form of document.querySelectorAll(`form[data-like="${CSS.escape(videoId)}"]`)) {
    form.querySelector("button[aria-pressed]").setAttribute("aria-pressed", String(liked));
    form.action = `/feed/${encodeURIComponent(videoId)}/${liked ? "unlike" : "like"}`;
    const count = form.closest("article")?.querySelector("[data-likes]");
    if (count) count.textContent = plural(likes, "like", "likes");
  }
}

async function toggle(form, button, send) {
  if (form.dataset.busy) return;
  form.dataset.busy = "1";
  try {
    await send(button.getAttribute("aria-pressed") === "true");
  } catch (error) {
    signInOr(form, error);
  } finally {
    delete form.dataset.busy;
  }
}

export function enhance(root = document) {
  for (const form of root.querySelectorAll("form[data-follow]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const handle = form.dataset.follow;
      toggle(form, form.querySelector("button[aria-pressed]"), async (following) => {
        const answer = await api(`/api/v1/creators/${encodeURIComponent(handle)}/follow`, { method: following ? "DELETE" : "POST" });
        setFollowing(handle, answer.following, answer.followers);
      });
    });
  }
  for (const form of root.querySelectorAll("form[data-like]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const videoId = form.dataset.like;
      toggle(form, form.querySelector("button[aria-pressed]"), async (liked) => {
        const answer = await api(`/api/v1/videos/${encodeURIComponent(videoId)}/likes`, { method: liked ? "DELETE" : "POST" });
        setLiked(videoId, answer.liked, answer.likes);
      });
    });
  }
}

if (!document.querySelector("[data-feed]")) enhance();
