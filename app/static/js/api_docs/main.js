// Start Swagger UI on the generated OpenAPI document (no inline script, for the CSP).
// SwaggerUIBundle is the global of swagger-ui-bundle.js, a classic script loaded before this
// module.
window.addEventListener("load", () => {
  const node = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({ url: node.dataset.specUrl, domNode: node, deepLinking: true });
});
