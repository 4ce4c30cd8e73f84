// The unit picker (templates/_unit_picker.html) as an ARIA 1.2 combobox: type part of a name,
// the units matching it come from /units/search with their parents; arrows and Enter, or a
// tap, choose one. Without this script the picker's "Tìm" button searches on the server.
(() => {
  if (!window.fetch) return;

  const enhance = (root) => {
    const input = root.querySelector("[data-picker-query]");
    const box = root.querySelector(".picker-search");
    const find = root.querySelector("[data-picker-find]");
    const status = root.querySelector(".picker-status");
    if (!input || !box || !status) return;
    const name = root.dataset.name;
    const id = `${input.id}-list`;

    // The chosen unit travels in a hidden field; the text field only searches.
    const checked = root.querySelector(`input[type=radio][name="${name}"]:checked`);
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = checked ? checked.value : "";
    root.appendChild(hidden);
    const choices = root.querySelector("[data-picker-choices]");
    if (choices) choices.remove();
    if (find) find.hidden = true;
    input.removeAttribute("name");
    if (checked && checked.value) input.value = checked.dataset.label;
    status.textContent = "";

    const list = document.createElement("ul");
    list.id = id;
    list.className = "picker-listbox";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-labelledby", input.getAttribute("aria-labelledby"));
    list.hidden = true;
    box.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    let options = [];
    let active = -1;
    let timer = 0;
    let asked = 0;

    const close = () => {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };

    const mark = (index) => {
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    };

    const choose = (option) => {
      asked += 1;  // an answer still on its way must not reopen the list
      window.clearTimeout(timer);
      hidden.value = option.dataset.id;
      input.value = option.dataset.label;
      status.textContent = "";
      close();
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    };

    const show = (data) => {
      list.replaceChildren();
      options = data.items.map((item, i) => {
        const option = document.createElement("li");
        option.id = `${id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.id = item.id;
        option.dataset.label = item.label;
        const title = document.createElement("span");
        title.className = "picker-name";
        title.textContent = item.name;
        option.appendChild(title);
        if (item.parents) {
          const parents = document.createElement("span");
          parents.className = "picker-parents";
          parents.textContent = item.parents;
          option.appendChild(parents);
        }
        list.appendChild(option);
        return option;
      });
      active = -1;
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", String(options.length > 0));
      const words = !options.length ? root.dataset.noneText
        : data.more ? root.dataset.moreText
          : root.dataset.countText.replace("{n}", options.length);
      status.textContent = words;
    };

    const ask = async () => {
      asked += 1;
      const mine = asked;
      const url = new URL(root.dataset.url, window.location.href);
      url.searchParams.set("q", input.value);
      try {
        const response = await fetch(url, { credentials: "same-origin",
                                             headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const data = await response.json();
        if (mine === asked) show(data);
      } catch (error) {
        if (mine === asked) status.textContent = root.dataset.noneText;
      }
    };

    input.addEventListener("input", () => {
      hidden.value = "";  // the text no longer names the unit chosen before
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 200);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) {
          if (options.length) {
            list.hidden = false;
            input.setAttribute("aria-expanded", "true");
          } else {
            ask();
            return;
          }
        }
        const step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + options.length) % options.length);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();  // choosing a unit does not send the form
        choose(options[active]);
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        } else if (input.value) {
          input.value = "";
          hidden.value = "";
        }
      }
    });
    // A tap on an option must not blur the field first (the list would close under it).
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) choose(option);
    });
    input.addEventListener("blur", () => window.setTimeout(close, 150));
  };

  document.querySelectorAll("[data-unit-picker]").forEach(enhance);
})();
