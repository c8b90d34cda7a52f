// Progressive enhancement of the search form (the form works without it, with a <datalist>):
// an accessible combobox (ARIA 1.2 pattern) proposing communes from /api/communes, and an
// « Autour de moi » button using the browser's geolocation.
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input || !window.fetch) { return; }
  var combo = input.parentNode;
  var list = document.createElement("ul");
  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Communes proposées");
  list.hidden = true;
  combo.appendChild(list);
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  combo.appendChild(status);
  input.removeAttribute("list");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  var active = -1, timer = null, seq = 0;

  function options() { return list.querySelectorAll("[role=option]"); }
  function close() {
    list.hidden = true; input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant"); active = -1;
  }
  function highlight(i) {
    var opts = options();
    for (var k = 0; k < opts.length; k++) { opts[k].setAttribute("aria-selected", k === i ? "true" : "false"); }
    active = i;
    if (i >= 0 && opts[i]) {
      input.setAttribute("aria-activedescendant", opts[i].id);
      opts[i].scrollIntoView({ block: "nearest" });
    } else { input.removeAttribute("aria-activedescendant"); }
  }
  function choose(opt) { input.value = opt.getAttribute("data-value"); close(); input.focus(); }
  function render(items) {
    list.innerHTML = "";
    items.forEach(function (c, i) {
      var li = document.createElement("li");
      li.id = "q-option-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.setAttribute("data-value", c.libelle);
      li.textContent = c.libelle + (c.codes_postaux.length ? " – " + c.codes_postaux[0] : "");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
      list.appendChild(li);
    });
    if (items.length) {
      list.hidden = false; input.setAttribute("aria-expanded", "true");
      status.textContent = items.length + (items.length > 1 ? " communes proposées" : " commune proposée");
    } else { close(); status.textContent = "Aucune commune proposée"; }
    active = -1;
  }
  function lookup() {
    var q = input.value.trim();
    if (q.length < 2 || /^\d+$/.test(q)) { close(); return; }
    var mine = ++seq;
    fetch("/api/communes?limite=8&q=" + encodeURIComponent(q))
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) { if (mine === seq) { render(items); } })
      .catch(function () { close(); });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 120); });
  input.addEventListener("keydown", function (e) {
    var opts = options();
    if (e.key === "ArrowDown" && opts.length) {
      e.preventDefault(); if (list.hidden) { list.hidden = false; input.setAttribute("aria-expanded", "true"); }
      highlight(Math.min(active + 1, opts.length - 1));
    } else if (e.key === "ArrowUp" && opts.length) {
      e.preventDefault(); highlight(Math.max(active - 1, 0));
    } else if (e.key === "Enter" && !list.hidden && active >= 0) {
      e.preventDefault(); choose(opts[active]);
    } else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });

  // « Autour de moi »: fills hidden lat/lon and submits.
  if (navigator.geolocation) {
    var form = input.form;
    var actions = form.querySelector(".actions");
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "button button-secondary";
    btn.textContent = "Autour de moi";
    btn.addEventListener("click", function () {
      btn.disabled = true; status.textContent = "Recherche de votre position…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        ["lat", "lon"].forEach(function (name) {
          var h = form.querySelector("input[name=" + name + "]") || document.createElement("input");
          h.type = "hidden"; h.name = name;
          h.value = (name === "lat" ? pos.coords.latitude : pos.coords.longitude).toFixed(5);
          form.appendChild(h);
        });
        input.value = "";
        form.submit();
      }, function () {
        btn.disabled = false; status.textContent = "Position indisponible : indiquez une commune.";
      }, { timeout: 10000 });
    });
    actions.appendChild(btn);
  }
})();
