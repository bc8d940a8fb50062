// The widget builder: options -> preview iframe and the snippet to paste.
(function () {
  "use strict";
  var form = document.getElementById("builder");
  var preview = document.getElementById("preview");
  var snippet = document.getElementById("snippet");
  // The snippet's address is this page's own origin as the browser sees it; the server never
  // builds it from the request's Host header (which a client can set to anything).
  var base = new URL(form.dataset.embedUrl, window.location.href).href;

  function url() {
    var p = new URLSearchParams();
    var f = form.elements;
    if (f.region.value) p.set("region", f.region.value);
    if (f.limit.checked && f.region.value) p.set("limit", "1");
    if (f.what.value) {
      var parts = f.what.value.split(":");
      p.set(parts[0], parts[1]);
    }
    p.set("lang", f.lang.value);
    p.set("height", String(Math.min(1600, Math.max(240, parseInt(f.height.value, 10) || 480))));
    return base + "?" + p.toString();
  }

  function update() {
    var u = url();
    var h = new URL(u).searchParams.get("height");
    preview.src = u;
    preview.height = h;
    var iframe = document.createElement("iframe");
    iframe.setAttribute("src", u);
    iframe.setAttribute("width", "100%");
    iframe.setAttribute("height", h);
    iframe.setAttribute("title", "돌봄지도 Dolbom Map");
    iframe.setAttribute("loading", "lazy");
    iframe.setAttribute("style", "border:0");
    snippet.value = iframe.outerHTML;
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  document.getElementById("copy").addEventListener("click", function () {
    snippet.select();
    var done = this.dataset.done;
    var status = document.getElementById("copy-status");
    if (navigator.clipboard) {
      navigator.clipboard.writeText(snippet.value).then(function () { status.textContent = done; },
        function () { document.execCommand("copy"); status.textContent = done; });
    } else {
      document.execCommand("copy");
      status.textContent = done;
    }
  });
  update();
})();
