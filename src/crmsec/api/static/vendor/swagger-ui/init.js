// Starts Swagger UI on /openapi.json (an external file: the app's CSP allows no inline script).
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis], layout: "BaseLayout",
  });
});
