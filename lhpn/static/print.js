// The print page's "In" button; without script the browser's own Print menu does the same.
const printButton = document.getElementById("print-button");
if (printButton) {
  printButton.hidden = false;
  printButton.addEventListener("click", () => window.print());
}
