import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/** GraphiQL's browser bundles, served from installed packages: no CDN is needed or reached. */
const ASSETS: Record<string, { module: string; type: string }> = {
  'react.js': { module: 'react/umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { module: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { module: 'graphiql/graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { module: 'graphiql/graphiql.min.css', type: 'text/css' },
};

function page(graphqlPath: string, defaultHeaders: string | undefined): string {
  const headers = defaultHeaders ? JSON.stringify(defaultHeaders) : 'undefined';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>District data directory · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.css" />
  <style>body { margin: 0; height: 100vh; }</style>
</head>
<body>
  <div id="graphiql" style="height: 100vh"></div>
  <script src="/graphiql/assets/react.js"></script>
  <script src="/graphiql/assets/react-dom.js"></script>
  <script src="/graphiql/assets/graphiql.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(graphqlPath)} });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultHeaders: ${headers}, shouldPersistHeaders: true })
    );
  </script>
</body>
</html>`;
}

/**
 * Serves GraphiQL at /graphiql. `defaultHeaders` pre-fills the headers editor;
 * it is given only in development, where it carries the printed token.
 */
export function serveGraphiql(fastify: FastifyInstance, graphqlPath: string, defaultHeaders?: string): void {
  const html = page(graphqlPath, defaultHeaders);
  const cache = new Map<string, Buffer>();
  fastify.get('/graphiql', (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get<{ Params: { name: string } }>('/graphiql/assets/:name', (request, reply) => {
    const asset = ASSETS[request.params.name];
    if (!asset) return reply.code(404).send({ error: 'not found' });
    let body = cache.get(asset.module);
    if (!body) {
      body = readFileSync(require.resolve(asset.module));
      cache.set(asset.module, body);
    }
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(body);
  });
}
