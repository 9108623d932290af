import type { LoggerService } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

/**
 * Nest's own messages (start-up, and the exceptions it handles itself) on the
 * service's pino logger, so that every line the process writes is one JSON
 * object with a level, not a mix of JSON and coloured text.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: PinoLogger) {}

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    // A resolver's failure is logged once, with its request id, by the GraphQL error formatter.
    const level = context === 'ExceptionsHandler' ? 'debug' : 'error';
    this.pino[level]({ context, ...(trace ? { stack: trace } : {}) }, message instanceof Error ? message.message : String(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }
}
