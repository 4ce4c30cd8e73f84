// Runs a confirmed import chunk by chunk and shows its progress. Without this script the
// form posts once and the server imports everything before answering.
(() => {
  const form = document.querySelector("form[data-import-run]");
  if (!form || !window.fetch) return;
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const button = form.querySelector("button[type=submit]");
  const token = form.querySelector("input[name=csrf_token]").value;
  const pause = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

  const show = (state) => {
    bar.hidden = false;
    bar.max = state.total || 1;
    bar.value = state.processed;
    status.textContent = form.dataset.progressText
      .replace("{processed}", state.processed)
      .replace("{total}", state.total);
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    let last = -1;
    try {
      for (;;) {
        const response = await fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, "Accept": "application/json" },
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const state = await response.json();
        show(state);
        if (state.done) break;
        // Another session may be running this batch: wait instead of hammering the server.
        if (state.processed === last) await pause(1000);
        last = state.processed;
      }
      window.location.assign(form.dataset.resultUrl);
    } catch (error) {
      status.textContent = form.dataset.errorText;
      button.disabled = false;
    }
  });
})();
