// Settings: copy a new API key to the clipboard (the button shows only where the clipboard can be written).
for (const button of document.querySelectorAll("[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  const said = button.parentElement.querySelector("[data-copied]");
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      if (said) said.textContent = "Copied.";
    } catch {
      if (said) said.textContent = "Could not copy: select the key and copy it.";
    }
  });
}
