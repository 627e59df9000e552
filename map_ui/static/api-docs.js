// Start Swagger UI on the API documentation page (/api/v1/docs) with the schema it names.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.openapiUrl, domNode: root, deepLinking: false });
})();
