// Starts Swagger UI on /v1/docs. A file of its own (not an inline script) so that the
// page runs under a Content-Security-Policy without 'unsafe-inline'. The OpenAPI URL comes
// from the page; the online validator is off (it would send the document to a third party).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]
  });
})();
