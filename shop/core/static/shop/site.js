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
