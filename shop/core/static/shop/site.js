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
// Search suggestions while typing: the datalist's options come from /search/suggest/
// (products, categories, shops); without JS it keeps the categories the page rendered.
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  var list = document.getElementById("search-suggestions");
  if (!input || !list || !window.fetch) return;
  var timer = null;
  var asked = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var query = input.value.trim();
      if (!query || query === asked) return;
      asked = query;
      fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(query), { credentials: "omit" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || data.query !== input.value.trim()) return;
          list.replaceChildren();
          [].concat(data.products.map(function (p) { return p.title; }),
                    data.categories.map(function (c) { return c.name; }),
                    data.shops.map(function (s) { return s.name; }))
            .forEach(function (text) {
              var option = document.createElement("option");
              option.value = text;
              list.appendChild(option);
            });
        })
        .catch(function () {});
    }, 150);
  });
})();
