// Small progressive enhancements; every page works without them.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Drafts of the long forms (reports, plans). While a person types, the form's fields are kept
// in this browser under "lhpn-draft:<user id>:<form action>" (never the CSRF token, never a
// password). A page that opens with a draft newer than the server's copy offers it back (and
// warns when someone saved the record after the draft began); restoring fills what was typed,
// never the hidden fields, so the page's own version is what a save is checked against. The
// page after a successful save (data-draft-saved) drops the draft, logging out drops the
// user's drafts, and drafts older than a week go. The server keeps what is posted after a
// time-out too (lhpn/unsaved/web.py): this is the second net, for a tab closed before saving.
(() => {
  const PREFIX = "lhpn-draft:";
  const MAX_AGE = 7 * 24 * 3600 * 1000;
  const SKIPPED = ["password", "file", "submit", "button", "reset", "image"];
  const loadedAt = Date.now();
  let store;
  try {
    store = window.localStorage;
    if (!store) return;
  } catch (e) {
    return; // storage refused: the server's net remains
  }

  const keyOf = (form) => PREFIX + form.dataset.draft;
  // The server's clock, so a draft compares with the server's "last changed" whatever the
  // clock of this computer says.
  const serverNow = (form) => Number(form.dataset.draftNow || 0) + (Date.now() - loadedAt);
  const kept = (el) => el.name && !el.disabled && el.name !== "csrf_token" &&
    !SKIPPED.includes(el.type) && !/password/i.test(el.name);
  const checkable = (el) => el.type === "checkbox" || el.type === "radio";

  function fieldsOf(form) {
    const out = [];
    for (const el of form.elements) {
      if (!kept(el) || (checkable(el) && !el.checked)) continue;
      if (el.type === "select-multiple") {
        for (const option of el.selectedOptions) out.push([el.name, option.value]);
      } else {
        out.push([el.name, el.value]);
      }
    }
    return out;
  }

  function read(key) {
    try {
      const draft = JSON.parse(store.getItem(key));
      return draft && Array.isArray(draft.fields) ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function write(form) {
    try {
      store.setItem(keyOf(form), JSON.stringify({ savedAt: serverNow(form), fields: fieldsOf(form) }));
    } catch (e) {
      // full or refused: the server keeps what is posted
    }
  }

  function fill(form, fields) {
    const values = new Map();
    for (const [name, value] of fields) {
      if (!values.has(name)) values.set(name, []);
      values.get(name).push(value);
    }
    const seen = new Map();
    for (const el of form.elements) {
      if (!kept(el) || el.type === "hidden") continue;
      const list = values.get(el.name) || [];
      if (checkable(el)) {
        el.checked = list.includes(el.value);
      } else if (el.type === "select-multiple") {
        for (const option of el.options) option.selected = list.includes(option.value);
      } else if (values.has(el.name)) {
        const index = seen.get(el.name) || 0;
        if (index < list.length) el.value = list[index];
        seen.set(el.name, index + 1);
      }
    }
  }

  function when(ms) {
    const d = new Date(ms);
    const two = (n) => String(n).padStart(2, "0");
    return `${two(d.getHours())}:${two(d.getMinutes())} ${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()}`;
  }

  const versionOf = (fields) => (fields.find(([name]) => name === "version") || [])[1];

  function offer(form, draft, changed) {
    const box = form.querySelector("[data-draft-offer]");
    if (!box) return;
    const message = changed ? box.dataset.draftMessageChanged : box.dataset.draftMessage;
    box.querySelector("[data-draft-text]").textContent = message.replace("{t}", when(draft.savedAt));
    box.hidden = false;
    box.querySelector("[data-draft-restore]").addEventListener("click", () => {
      fill(form, draft.fields);
      box.hidden = true;
      write(form);
    });
    box.querySelector("[data-draft-discard]").addEventListener("click", () => {
      store.removeItem(keyOf(form));
      box.hidden = true;
    });
  }

  function setUp(form) {
    if ("draftRestored" in form.dataset) {
      write(form); // the server filled the form with kept input: that is the draft now
    } else {
      const draft = read(keyOf(form));
      if (draft) {
        const now = fieldsOf(form);
        const newer = draft.savedAt > Number(form.dataset.draftChanged || 0);
        const differs = JSON.stringify(draft.fields) !== JSON.stringify(now);
        if (newer && differs) offer(form, draft, versionOf(draft.fields) !== versionOf(now));
        else store.removeItem(keyOf(form));
      }
    }
    let timer;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => write(form), 300);
    };
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
    // Kept until a page says it was saved: this post may still fail (time-out, no network).
    form.addEventListener("submit", () => {
      clearTimeout(timer);
      write(form);
    });
  }

  for (const marker of document.querySelectorAll("[data-draft-saved]")) {
    store.removeItem(PREFIX + marker.dataset.draftSaved);
  }
  for (let i = store.length - 1; i >= 0; i -= 1) {
    const key = store.key(i);
    if (key && key.startsWith(PREFIX)) {
      const draft = read(key);
      if (!draft || Date.now() - draft.savedAt > MAX_AGE) store.removeItem(key);
    }
  }
  document.querySelectorAll("form[data-draft]").forEach(setUp);
  // Logging out (a shared computer): this user's drafts go.
  document.addEventListener("submit", (event) => {
    const owner = event.target.dataset && event.target.dataset.draftForget;
    if (!owner) return;
    for (let i = store.length - 1; i >= 0; i -= 1) {
      const key = store.key(i);
      if (key && key.startsWith(`${PREFIX}${owner}:`)) store.removeItem(key);
    }
  });
})();
