// Starts Swagger UI on the page's OpenAPI document; a file, not an inline
// script, so the page's Content-Security-Policy can forbid inline script.
"use strict";
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  // No calls to validator.swagger.io: nothing leaves this origin.
  validatorUrl: null,
});
