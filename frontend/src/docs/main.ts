/**
 * The API reference page (GET /docs): Swagger UI over the server's /openapi.json, bundled by
 * Vite from the swagger-ui-dist package, so it needs no CDN and works offline. The document
 * is fetched from the origin that served the page; "Try it out" calls the same server.
 */
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

SwaggerUIBundle({
  url: new URL('openapi.json', window.location.href).href,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null, // the default asks validator.swagger.io on the internet
});
