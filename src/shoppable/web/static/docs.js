// Starts Swagger UI on /docs (a file, not an inline script: the pages run under `script-src 'self'`).
// "Authorize" uses the OAuth2 password flow the OpenAPI document declares (tokenUrl /api/v1/auth/token);
// persistAuthorization keeps that token in this browser's localStorage across reloads: the docs are a developer's
// tool; the shop pages themselves keep no token in page storage (they use the session cookie).
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url") || "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
})();
