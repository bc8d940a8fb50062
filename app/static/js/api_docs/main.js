// /docs/api: the page lists the operations (server-rendered from the OpenAPI document); Swagger
// UI, about 1 MB, loads only when asked for — the button, or a Swagger deep link (#/…).
// No inline script or style, for the CSP: the files are added as elements from this origin.
const button = document.getElementById("explorer-load");
const status = document.getElementById("explorer-status");
const node = document.getElementById("swagger-ui");
let loading = null;

function add(tag, attrs) {
  return new Promise((resolve, reject) => {
    const element = document.createElement(tag);
    Object.entries(attrs).forEach(([k, v]) => element.setAttribute(k, v));
    element.addEventListener("load", resolve);
    element.addEventListener("error", reject);
    document.head.appendChild(element);
  });
}

function loadExplorer() {
  if (loading) return loading;
  status.textContent = button.dataset.loading;
  button.disabled = true;
  loading = Promise.all([add("link", { rel: "stylesheet", href: button.dataset.css }),
    add("script", { src: button.dataset.js })])
    .then(() => {
      // SwaggerUIBundle is the global of swagger-ui-bundle.js.
      window.ui = window.SwaggerUIBundle({ url: button.dataset.specUrl, domNode: node, deepLinking: true });
      status.textContent = "";
      button.hidden = true;
      node.scrollIntoView();
    }, () => {
      status.textContent = button.dataset.failed;
      button.disabled = false;
      loading = null;
    });
  return loading;
}

button.addEventListener("click", loadExplorer);
if (window.location.hash.startsWith("#/")) loadExplorer();
