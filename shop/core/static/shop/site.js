// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";
  // The SKU picker: show the chosen variant's price as the shopper taps it.
  document.querySelectorAll("[data-sku-picker]").forEach(function (form) {
    var label = form.querySelector("[data-selected-label]");
    var price = form.querySelector("[data-selected-price]");
    var quantity = form.querySelector("input[name=quantity]");
    var cap = quantity ? parseInt(quantity.getAttribute("max"), 10) : 0;
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.name !== "sku") return;
      if (label) label.textContent = input.closest("label").querySelector(".sku__label").textContent;
      if (price) price.textContent = input.dataset.price;
      if (quantity) quantity.max = Math.min(parseInt(input.dataset.stock, 10), cap);
    });
  });
  // The language switcher submits on change.
  document.querySelectorAll("form.lang select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
// Copy buttons (the gift link): progressive, the input stays selectable without JS.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var input = document.querySelector(button.dataset.copy);
    if (!input) return;
    var done = function () { button.textContent = button.dataset.copied || "Copied"; };
    if (navigator.clipboard) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      document.execCommand("copy");
      done();
    }
  });
});
