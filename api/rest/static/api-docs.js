// Starts Swagger UI on the API documentation page (the CSP forbids inline scripts).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) {
    return;
  }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    // No deep links: they put a link inside each operation's toggle button (nested controls, axe).
    deepLinking: false,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 0,
    // No call to the public validator: the page talks to this server only.
    validatorUrl: null,
  });
})();
