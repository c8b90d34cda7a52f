// Progress of a batch being judged, without reloading the page (a timed reload would move the
// reader's focus and is refused by WCAG 2.2.1): every 2 seconds, fetch the same page and swap the
// #suivi region (a polite live region). When the batch is over, say so and link to the report;
// the reader decides when to leave. Without JavaScript, « Actualiser maintenant » does the same.
(function () {
  "use strict";
  var region = document.getElementById("suivi");
  if (!region || !window.fetch || !window.DOMParser) { return; }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("suivi");
        if (fresh) {
          region.innerHTML = fresh.innerHTML;
          window.setTimeout(poll, 2000);
        } else {
          // The heading and the title no longer say the batch is being judged.
          var heading = document.querySelector("h1");
          var freshHeading = doc.querySelector("h1");
          if (heading && freshHeading) { heading.textContent = freshHeading.textContent; }
          document.title = doc.title;
          region.innerHTML = "";
          // Over: a success, and the sentences about updating no longer apply.
          region.className = "notice notice-success";
          ["suivi-aide", "suivi-actualiser"].forEach(function (id) {
            var e = document.getElementById(id);
            if (e) { e.parentNode.removeChild(e); }
          });
          var p = document.createElement("p");
          var strong = document.createElement("strong");
          strong.textContent = "Le jugement du lot est terminé. ";
          var a = document.createElement("a");
          a.href = window.location.href;
          a.textContent = "Voir le rapport du lot";
          p.appendChild(strong);
          p.appendChild(a);
          region.appendChild(p);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
