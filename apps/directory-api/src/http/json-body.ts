import type { FastifyInstance } from 'fastify';
import { MAX_BODY_NESTING } from '../graphql/input-limits.js';

/**
 * The deepest bracket nesting of a JSON text, outside strings, as soon as it
 * passes `max` (then `max + 1`): one pass over the characters, no allocation.
 * Not a validator; the parser still decides what the text is.
 */
export function jsonNesting(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * JSON bodies are parsed by Fastify's own parser, after a scan that refuses
 * one nested deeper than MAX_BODY_NESTING: parsing a 100,000-deep array takes
 * milliseconds of the event loop that every other caller waits for, the scan
 * a fraction of that. Refused as a malformed body (400, BAD_USER_INPUT).
 */
export function parseJsonWithinNesting(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'ignore');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonNesting(body as string, MAX_BODY_NESTING) > MAX_BODY_NESTING) {
      const error = Object.assign(new Error(`the request body is nested more than ${MAX_BODY_NESTING} deep`), {
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      });
      done(error, undefined);
      return;
    }
    void parse(request, body as string, done);
  });
}
