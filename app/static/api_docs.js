// Start Swagger UI on the generated OpenAPI document (no inline script, for the CSP).
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: el.dataset.specUrl, domNode: el, deepLinking: true });
});
