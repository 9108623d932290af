import type { FastifyInstance } from 'fastify';

/**
 * Once the server is closing, every answer still being written says
 * `Connection: close`: a client's keep-alive connection would otherwise hold
 * the server open after its last request, until the grace period ran out.
 */
export function closeConnectionsOnShutdown(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}
