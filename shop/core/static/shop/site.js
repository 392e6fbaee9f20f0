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
// Share buttons: the Web Share API where the browser has it (phones); the copy button
// beside stays for the others, so without it nothing is lost.
document.querySelectorAll("[data-share]").forEach(function (button) {
  if (!navigator.share) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var input = document.querySelector(button.dataset.share);
    if (!input) return;
    navigator.share({ title: button.dataset.shareTitle, url: input.value }).catch(function () {});
  });
});
// The region picker: city and district chosen from the national list (regions.json) for
// the chosen province. Each text field stays, hidden, for a place the list lacks ("Not
// listed") and keeps the form's name when typed; without JS the text fields are the form.
(function () {
  "use strict";
  var pickers = document.querySelectorAll("[data-region-picker]");
  if (!pickers.length || !window.fetch) return;
  var OTHER = "\u0000other";

  function enhance(picker, data) {
    var province = picker.querySelector("[data-region=province]");
    var texts = [picker.querySelector("[data-region=city]"), picker.querySelector("[data-region=district]")];
    if (!province || !texts[0] || !texts[1]) return;

    function makeSelect(text) {
      var select = document.createElement("select");
      var label = picker.querySelector('label[for="' + text.id + '"]');
      ["aria-describedby", "aria-invalid", "autocomplete", "required"].forEach(function (name) {
        if (text.hasAttribute(name)) select.setAttribute(name, text.getAttribute(name));
      });
      select.id = text.id;
      select.name = text.name;
      text.id = text.id + "_text";
      if (label) text.setAttribute("aria-label", label.textContent.trim());
      text.parentNode.insertBefore(select, text);
      return select;
    }

    // A list with no names (a city typed in, not listed) opens the text field at once.
    function fill(select, names, text, openWhenEmpty) {
      var typed = text.value.trim();
      select.replaceChildren();
      [["", "—"]].concat(names.map(function (n) { return [n, n]; }), [[OTHER, picker.dataset.otherLabel]])
        .forEach(function (pair) {
          var option = document.createElement("option");
          option.value = pair[0];
          option.textContent = pair[1];
          select.appendChild(option);
        });
      var open = typed || (openWhenEmpty && !names.length);
      select.value = names.indexOf(typed) >= 0 ? typed : open ? OTHER : "";
      show(select, text);
    }

    function show(select, text) {
      var other = select.value === OTHER;
      text.hidden = !other;
      // The form sends one of the two under the field's name.
      if (other) {
        text.name = select.dataset.name;
        select.removeAttribute("name");
      } else {
        select.name = select.dataset.name;
        text.removeAttribute("name");
        text.value = select.value;
      }
    }

    var selects = texts.map(function (text) {
      var select = makeSelect(text);
      select.dataset.name = select.name;
      return select;
    });
    var cities = function () { return data.provinces[province.value] || {}; };
    var refresh = function () {
      fill(selects[0], Object.keys(cities()), texts[0], false);
      fill(selects[1], cities()[selects[0].value] || [], texts[1], selects[0].value === OTHER);
    };
    province.addEventListener("change", function () {
      texts[0].value = "";
      texts[1].value = "";
      refresh();
    });
    var chosen = function (select, text) {
      if (select.value === OTHER) text.value = "";
      show(select, text);
      if (select.value === OTHER) text.focus();
    };
    selects[0].addEventListener("change", function () {
      chosen(selects[0], texts[0]);
      texts[1].value = "";
      fill(selects[1], cities()[selects[0].value] || [], texts[1], selects[0].value === OTHER);
    });
    selects[1].addEventListener("change", function () { chosen(selects[1], texts[1]); });
    refresh();
  }

  // Every address form on the page (the claim form, a change of address, checkout, the
  // address book) uses the same list, fetched once.
  fetch(pickers[0].dataset.regionsUrl, { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data) return;
      pickers.forEach(function (picker) { enhance(picker, data); });
    })
    .catch(function () {});
})();
