// Starts Swagger UI on /docs (a file, not an inline script: the pages run under `script-src 'self'`).
// "Authorize" uses the OAuth2 password flow the OpenAPI document declares (tokenUrl /api/v1/auth/token);
// The token lives in the page's memory only (no persistAuthorization: no bearer token in page storage).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url") || "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    validatorUrl: null, // never send the document's URL to the public validator
  });
})();
