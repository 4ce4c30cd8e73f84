// The plan form: "Thêm dòng" adds blank rows (cloned from a <template>), and each row shows
// only the inputs its kind needs. Without this script the page still offers blank rows.
(() => {
  const form = document.querySelector(".plan-form");
  if (!form) return;

  const refresh = (row) => {
    const kind = row.querySelector("[data-kind]");
    if (!kind) return;
    row.querySelectorAll("[data-for-kind]").forEach((field) => {
      field.hidden = !field.dataset.forKind.split(" ").includes(kind.value);
    });
  };

  const renumber = (container) => {
    container.querySelectorAll("[data-row-number]").forEach((span, i) => {
      span.textContent = String(i + 1);
    });
  };

  const addRow = (button) => {
    const container = document.getElementById(button.dataset.addRow);
    const template = document.getElementById(button.dataset.template);
    const index = String(Number(container.dataset.next || "0"));
    container.dataset.next = String(Number(index) + 1);
    const fragment = template.content.cloneNode(true);
    fragment.querySelectorAll("[name], [id], [for]").forEach((el) => {
      for (const attr of ["name", "id", "for"]) {
        const value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replaceAll("__INDEX__", index));
      }
    });
    const row = fragment.querySelector("[data-row]");
    container.appendChild(fragment);
    renumber(container);
    refresh(row);
    const first = row.querySelector("input, select, textarea");
    if (first) first.focus();
  };

  form.querySelectorAll("[data-row]").forEach(refresh);
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => addRow(button));
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-kind]")) refresh(event.target.closest("[data-row]"));
  });
})();
