import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const require = createRequire(import.meta.url);

/** GraphiQL's browser bundles, served from installed packages: no CDN is needed or reached. */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/** The packages' "exports" do not list their browser bundles, so they are found beside package.json. */
const assetPath = (asset: { pkg: string; file: string }): string => join(dirname(require.resolve(`${asset.pkg}/package.json`)), asset.file);

const EXAMPLE_QUERY = `# The directory: what your department may discover, newest first.
# Try a filter: files(first: 10, filter: { search: "vaccination", classifications: [PUBLIC, INTERNAL] })
{
  me { subject roles department { code name } }
  files(first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title classification category owner { name } district { code } myAccess fields { name type sensitive } } }
  }
}
`;

function page(graphqlPath: string, defaultHeaders: string | undefined, defaultQuery: string): string {
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
      React.createElement(GraphiQL, { fetcher, defaultHeaders: ${headers}, defaultQuery: ${JSON.stringify(defaultQuery)}, shouldPersistHeaders: true })
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
  const html = page(graphqlPath, defaultHeaders, EXAMPLE_QUERY);
  const cache = new Map<string, Buffer>();
  fastify.get('/graphiql', (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get<{ Params: { name: string } }>('/graphiql/assets/:name', (request, reply) => {
    const asset = ASSETS[request.params.name];
    if (!asset) return reply.code(404).send({ error: 'not found' });
    let body = cache.get(request.params.name);
    if (!body) {
      body = readFileSync(assetPath(asset));
      cache.set(request.params.name, body);
    }
    return reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(body);
  });
}
