import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import pLimit, { type LimitFunction } from 'p-limit';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { ConnectionShare, drawConnectionsFrom, type ConnectionDraw } from '@app/database';
import { sendRefusal } from '../graphql/error-formatter.js';
import { isGraphQL } from '../graphql/graphql-auth.hook.js';

export interface FairShareLimits {
  /** Estimated query cost a department may spend per minute, all its members together. */
  costPerMinute: number;
  /** Operations of one department running at once; the rest wait their turn. */
  concurrency: number;
  /** Operations of one department that may wait; one more is refused. */
  queue: number;
  /** An operation at least this costly is heavy: it runs in the heavy lane. */
  heavyCost: number;
  /** Heavy operations running at once, all departments together, taken in turn by department. */
  heavyAtOnce: number;
  /** Pooled connections one department's queries hold at once, however many run or how many fields each asks for in parallel. */
  connections: number;
}

/** The budget is kept in windows of this many seconds, each a share of the minute's: no department spends a minute in one burst. */
export const BUDGET_WINDOW_SECONDS = 10;

declare module 'fastify' {
  interface FastifyRequest {
    /** Gives the department's turn back; set while the request holds one. */
    leaveFairShare?: () => void;
    /** Gives the place in the heavy lane back; set while the request holds one. */
    leaveHeavyLane?: () => void;
  }
}

const RATE_LIMITED = 'RATE_LIMITED';

/**
 * What one department may take of the service, so that no department can
 * starve another: the request-count limit (@fastify/rate-limit) stops
 * floods, but a department sending the heaviest queries the cost limit
 * admits, within its request budget, could still hold PostgreSQL's cores and
 * the connection pool. So, per department (as GitHub's and Shopify's GraphQL
 * APIs do per client): a budget of query cost per minute, spent by each
 * operation's estimated cost before it runs; and a bounded number of
 * operations in flight, the next ones queued in arrival order and, past the
 * queue, refused. Both refusals are RATE_LIMITED (429) with Retry-After.
 */
export class FairShare {
  private readonly budget: RateLimiterMemory;
  /** One queue per department; bounded by the departments the service knows (callers are resolved first). */
  private readonly slots = new Map<string, LimitFunction>();
  private readonly connectionShares = new Map<string, ConnectionShare>();

  private readonly heavyLane: TakenInTurn;
  private readonly windowBudget: number;

  constructor(readonly limits: FairShareLimits) {
    this.windowBudget = Math.floor((limits.costPerMinute * BUDGET_WINDOW_SECONDS) / 60);
    this.budget = new RateLimiterMemory({ points: this.windowBudget, duration: BUDGET_WINDOW_SECONDS, keyPrefix: 'cost' });
    this.heavyLane = new TakenInTurn(limits.heavyAtOnce);
  }

  /**
   * The rest of this query's execution takes its database connections from
   * the department's share of the pool, so that no department's queries, in
   * whatever number and with whatever parallel fields, hold the whole pool.
   * Queries only: a mutation's transaction holds its connection throughout.
   */
  drawConnections(department: string): ConnectionDraw {
    let share = this.connectionShares.get(department);
    if (!share) this.connectionShares.set(department, (share = new ConnectionShare(this.limits.connections)));
    return drawConnectionsFrom(share);
  }

  /** Connections the department's queries hold and wait for now. */
  connectionLoad(department: string): { held: number; waiting: number } {
    const share = this.connectionShares.get(department);
    return { held: share?.held ?? 0, waiting: share?.waiting ?? 0 };
  }

  /**
   * For a heavy operation, waits for a place in the heavy lane, which the
   * departments waiting take in turn (one each, round and round), so that one
   * department's heavy queries cannot fill it, and holds it to one database
   * connection at a time; the returned function gives the place back. Light
   * operations pass at once.
   */
  async enterHeavyLane(department: string, cost: number, draw?: ConnectionDraw): Promise<(() => void) | undefined> {
    if (cost < this.limits.heavyCost) return undefined;
    const leave = await this.heavyLane.enter(department);
    // One connection at a time, whatever it asks for in parallel: a heavy query keeps to one database core.
    if (draw) draw.share = new ConnectionShare(1);
    return leave;
  }

  /**
   * Spends `cost` of the department's budget, or refuses the operation with
   * the seconds until the budget refills. A refused operation spends nothing.
   */
  async spend(department: string, cost: number, reply?: FastifyReply): Promise<void> {
    const spent = await this.budget.get(department);
    const remaining = this.windowBudget - (spent?.consumedPoints ?? 0);
    if (cost <= remaining) {
      await this.budget.consume(department, Math.max(0, Math.ceil(cost)));
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((spent?.msBeforeNext ?? BUDGET_WINDOW_SECONDS * 1000) / 1000));
    reply?.header('retry-after', String(retryAfter));
    const left = Math.max(0, remaining).toLocaleString('en-US');
    const wanted = Math.round(cost).toLocaleString('en-US');
    const budget = `${this.windowBudget.toLocaleString('en-US')} every ${BUDGET_WINDOW_SECONDS} s`;
    throw new GraphQLError(
      cost > this.windowBudget
        ? `the query's estimated cost (${wanted}) is over your department's budget of ${budget}`
        : `your department has spent its query budget for now (${left} of ${budget} left, this query needs ${wanted}); retry in ${retryAfter} s`,
      { extensions: { code: RATE_LIMITED, retryAfterSeconds: retryAfter } },
    );
  }

  /**
   * Charges `cost` to the department's budget without refusing: for work it
   * did not ask for at that moment (a subscription's events), which must not
   * be dropped. It may take the budget past its end; the next operation that
   * spends then waits for the window to refill.
   */
  async charge(department: string, cost: number): Promise<void> {
    if (cost > 0) await this.budget.penalty(department, Math.ceil(cost));
  }

  /** What is left of the department's budget in the current window (negative once charged past it). */
  async remaining(department: string): Promise<number> {
    return this.windowBudget - ((await this.budget.get(department))?.consumedPoints ?? 0);
  }

  /**
   * Waits for one of the department's slots; the returned function gives it
   * back (once, however often it is called). Refuses at once, with a
   * DepartmentBusy error, when the department's queue is full.
   */
  async enter(department: string): Promise<() => void> {
    let slots = this.slots.get(department);
    if (!slots) this.slots.set(department, (slots = pLimit(this.limits.concurrency)));
    if (slots.activeCount >= this.limits.concurrency && slots.pendingCount >= this.limits.queue) {
      throw new DepartmentBusy(this.limits.concurrency + this.limits.queue);
    }
    // `leave` resolves the slot's promise: calling it again does nothing.
    return new Promise((entered) => {
      void slots(() => new Promise<void>((leave) => entered(leave)));
    });
  }

  /** Operations of the department running and waiting now. */
  load(department: string): { running: number; waiting: number } {
    const slots = this.slots.get(department);
    return { running: slots?.activeCount ?? 0, waiting: slots?.pendingCount ?? 0 };
  }
}

/**
 * A semaphore whose waiters are served by key in turn: each key has its own
 * queue, and a freed place goes to the next key in the rotation that has a
 * waiter, so a key with many waiters cannot hold back one with a single one.
 */
export class TakenInTurn {
  private running = 0;
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly size: number) {}

  enter(key: string): Promise<() => void> {
    return new Promise((entered) => {
      const start = () => {
        this.running += 1;
        let left = false;
        entered(() => {
          if (left) return;
          left = true;
          this.running -= 1;
          this.next();
        });
      };
      if (this.running < this.size) start();
      else this.waiting.set(key, [...(this.waiting.get(key) ?? []), start]);
    });
  }

  /** Waiters now, by key. */
  get queued(): Record<string, number> {
    return Object.fromEntries([...this.waiting].map(([key, queue]) => [key, queue.length]));
  }

  private next(): void {
    // A Map iterates in insertion order: the first key is the one whose turn it is; served, it goes to the back.
    const turn = this.waiting.keys().next();
    if (turn.done) return;
    const queue = this.waiting.get(turn.value)!;
    this.waiting.delete(turn.value);
    const start = queue.shift()!;
    if (queue.length) this.waiting.set(turn.value, queue);
    start();
  }
}

export class DepartmentBusy extends Error {
  constructor(readonly inFlight: number) {
    super(`your department already has ${inFlight} requests in progress; retry when one has finished`);
  }
}

/** The key of the caller's share: its department (codes repeat across districts, ids do not). */
export const shareKey = (request: FastifyRequest): string | undefined => request.caller?.actor.department.id;

/**
 * Holds each GraphQL request to its department's turns, from the moment its
 * caller is known until its answer is ready, whether or not its client is
 * still there: the turn covers the whole execution, so a client that
 * disconnects cannot start more work than its share.
 */
export function holdFairShare(fastify: FastifyInstance, share: FairShare, path: string): void {
  fastify.addHook('preHandler', async (request, reply) => {
    const key = isGraphQL(request, path) ? shareKey(request) : undefined;
    if (!key) return;
    try {
      request.leaveFairShare = await share.enter(key);
    } catch (error) {
      if (!(error instanceof DepartmentBusy)) throw error;
      const refusal = new GraphQLError(error.message, { extensions: { code: RATE_LIMITED, retryAfterSeconds: 1 } });
      return sendRefusal(request, reply.header('retry-after', '1'), 429, refusal);
    }
  });
  // When the answer is ready (the work is done): onSend runs even if the client has gone, onResponse then would not.
  fastify.addHook('onSend', (request, _reply, payload, done) => {
    request.leaveHeavyLane?.();
    request.leaveFairShare?.();
    done(null, payload);
  });
}
