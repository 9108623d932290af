import type { FastifyInstance } from 'fastify';
import { GraphQLError, getOperationAST, OperationTypeNode, parse, type GraphQLSchema } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { WebSocket, WebSocketServer } from 'ws';
import { checkQueryText } from '../graphql/query-shape.rule.js';
import { checkVariableSizes } from '../graphql/variable-limits.js';
import type { Tokens } from '@app/auth';
import { connectionAuthorization } from './subscription-auth.js';

/** The message types that start an operation: graphql-transport-ws's, and the older subscriptions-transport-ws's. */
const STARTS = new Set(['subscribe', 'start']);
/** Every message type of the two protocols; any other message closes the connection (4400), as graphql-transport-ws says. */
const KNOWN = new Set([...STARTS, 'connection_init', 'connection_terminate', 'ping', 'pong', 'complete', 'stop']);

/** How long a connection may stay open before its connection_init. */
export const CONNECTION_INIT_SECONDS = 10;

const refuse = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

/**
 * Checks every message that starts an operation on a WebSocket before the
 * GraphQL driver reads it. The driver parses a subscription's text itself,
 * without the bounds an HTTP request's text gets first (tokens, nesting),
 * coerces its variables unbounded, and answers a malformed message with an
 * error that carries no code; and nothing limited how many messages a
 * connection sends, so a flood of refused subscriptions cost their
 * department nothing while each held the event loop. Here, in the order the
 * messages came:
 *
 * - each message counts against its department's budget of messages a
 *   minute (the number of requests a minute its HTTP requests get); past
 *   it, the connection is closed (1008) before the message is even read.
 *   The department is the one a connection_init's token names once its
 *   signature verifies here: an unsigned token would otherwise let anyone
 *   spend another department's budget and cut its connections off. Until
 *   then the connection spends a budget of its own;
 * - a connection that sends no connection_init within
 *   CONNECTION_INIT_SECONDS is closed (4408), and an operation started
 *   before it is refused by closing the connection (4401), unread, as
 *   graphql-transport-ws says: nothing is parsed for a caller not yet known;
 * - its query must be text within the same bounds as over HTTP, parse, name
 *   one subscription operation (queries and mutations go over HTTP), and its
 *   variables must be bounded and coerce.
 *
 * A start that fails is answered with an `error` message for its id,
 * carrying a code, and is not passed on; a message that is not a JSON object
 * of a known type closes the connection (4400). Anything else passes
 * untouched.
 */
export function guardSubscriptionMessages(
  fastify: FastifyInstance,
  schema: () => GraphQLSchema,
  messagesPerMinute: number,
  tokens: Pick<Tokens, 'verify'>,
): void {
  const messages = new RateLimiterMemory({ points: messagesPerMinute, duration: 60, keyPrefix: 'ws' });
  let connections = 0;
  // The GraphQL driver's WebSocket server (@fastify/websocket): it emits each connection before the driver reads from it.
  const server = (fastify as unknown as { websocketServer: WebSocketServer }).websocketServer;
  server.on('connection', (socket: WebSocket) => {
    // Its department, read from the token of its connection_init (which the driver verifies, closing the connection if it is bad).
    let spender = `connection:${++connections}`;
    let initialised = false;
    const waitingForInit = setTimeout(() => socket.close(4408, 'Connection initialisation timeout'), CONNECTION_INIT_SECONDS * 1000);
    socket.once('close', () => clearTimeout(waitingForInit));
    const emit = socket.emit.bind(socket);
    // Messages are checked one after another, so that the driver still reads them in the order they came.
    let turn = Promise.resolve();
    socket.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      if (event !== 'message') return emit(event, ...args);
      turn = turn
        .then(async () => {
          // Counted before it is read: past the budget, a flood costs no parsing; the connection is closed.
          const over = await messages.consume(spender).then(
            () => undefined,
            (limited: { msBeforeNext?: number }) => Math.max(1, Math.ceil((limited.msBeforeNext ?? 60_000) / 1000)),
          );
          if (socket.readyState !== socket.OPEN) return;
          if (over) return socket.close(1008, `over ${messagesPerMinute} messages a minute from your department; retry in ${over} s`);
          const message = readMessage(args[0]);
          if (!message || !KNOWN.has(message.type as string)) {
            return socket.close(4400, message ? 'unknown message type' : 'a message is a JSON object with a type');
          }
          if (message.type === 'connection_init') {
            initialised = true;
            clearTimeout(waitingForInit);
            spender = (await verifiedDepartment(message.payload, tokens)) ?? spender;
          } else if (!initialised && STARTS.has(message.type as string)) {
            return socket.close(4401, 'Unauthorized');
          }
          const refusal = STARTS.has(message.type as string) ? check(message) : undefined;
          if (refusal) socket.send(JSON.stringify({ id: message.id, type: 'error', payload: [refusal] }));
          else emit(event, ...args);
        })
        .catch((error: unknown) => {
          // A fault here must not stall the messages behind it: the connection ends instead.
          fastify.log.error({ err: error }, 'subscription guard failed; closing the connection');
          socket.close(1011);
        });
      return true;
    };
  });

  /** Why an operation's start is refused, or undefined to let it start. */
  function check(message: Record<string, unknown>): GraphQLError | undefined {
    try {
      admit(message);
      return undefined;
    } catch (error) {
      return asGraphQLError(error);
    }
  }

  function admit(message: Record<string, unknown>): void {
    const payload = (message.payload ?? {}) as Record<string, unknown>;
    const { query, variables, operationName } = payload;
    if (typeof query !== 'string') throw refuse('payload.query must be the text of a GraphQL subscription');
    checkQueryText(query);
    const document = parse(query);
    const operation = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
    if (!operation) throw refuse('the document must hold one operation, or operationName must name one of its operations');
    if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
      throw refuse(`only subscriptions are served over WebSocket; send a ${operation.operation} over HTTP POST`);
    }
    if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
      throw refuse('payload.variables must be an object');
    }
    checkVariableSizes(schema(), document, variables);
    const coerced = getVariableValues(schema(), operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>, {
      maxErrors: 1,
    });
    if (coerced.errors) throw refuse(coerced.errors[0].message);
  }
}

/** A message as JSON, or undefined when it is not a JSON object. */
function readMessage(data: unknown): Record<string, unknown> | undefined {
  try {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : String(data);
    const message: unknown = JSON.parse(text);
    return message !== null && typeof message === 'object' && !Array.isArray(message) ? (message as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The department a connection's token names, once its signature verifies (the driver's onConnect closes a connection whose token does not). */
async function verifiedDepartment(payload: unknown, tokens: Pick<Tokens, 'verify'>): Promise<string | undefined> {
  try {
    return `dept:${(await tokens.verify(connectionAuthorization(payload))).departmentCode}`;
  } catch {
    return undefined;
  }
}

/** A refusal as the error message carries it: a GraphQLError keeps its code; the parser's syntax errors get BAD_USER_INPUT. */
function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) {
    return error.extensions?.code ? error : refuse(error.message);
  }
  return refuse('the subscription could not be started');
}
