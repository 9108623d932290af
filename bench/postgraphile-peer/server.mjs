/* global process, console */
/**
 * PostGraphile 4 over the service's database, as the directory benchmark's
 * peer: the schema PostGraphile infers from the tables, no authorization, no
 * mutations, its own connection pool of the same size as the service's.
 * Prints "listening" once it serves /graphql.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const middleware = postgraphile(pool, 'public', {
  disableDefaultMutations: true,
  disableQueryLog: true,
  graphqlRoute: '/graphql',
  graphiql: false,
  watchPg: false,
  dynamicJson: true,
  retryOnInitFail: false,
});
const server = createServer(middleware);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
