import { AsyncLocalStorage } from 'node:async_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import type { DataSource } from 'typeorm';

/** Pooled connections that some work may hold at once, whatever it runs in parallel. */
export class ConnectionShare {
  private readonly limit: LimitFunction;

  constructor(readonly connections: number) {
    this.limit = pLimit(connections);
  }

  /** Waits for a connection of the share; the returned function gives it back. */
  enter(): Promise<() => void> {
    return new Promise((entered) => {
      void this.limit(() => new Promise<void>((leave) => entered(leave)));
    });
  }

  get held(): number {
    return this.limit.activeCount;
  }

  get waiting(): number {
    return this.limit.pendingCount;
  }
}

/** Which share a flow draws from; it may be changed for the rest of the flow (`share`). */
export interface ConnectionDraw {
  share: ConnectionShare;
}

const current = new AsyncLocalStorage<ConnectionDraw>();

/**
 * From here on in the current asynchronous flow (a request's execution), the
 * database work started holds at most the share's connections at once. Only
 * for work that holds one connection at a time per call (reads outside
 * transactions): a transaction that waited for a second connection of its
 * own share could wait forever. Set it before the flow's first await; the
 * returned draw can be pointed at a narrower share later.
 */
export function drawConnectionsFrom(share: ConnectionShare): ConnectionDraw {
  const draw = { share };
  current.enterWith(draw);
  return draw;
}

type Obtain = () => Promise<[unknown, (error?: unknown) => unknown]>;

interface ConnectionSource {
  obtainMasterConnection: Obtain;
  obtainSlaveConnection: Obtain;
}

/**
 * Makes the data source's pool honour connection shares: every pooled
 * connection taken inside a flow that draws from a share waits for a place
 * in it first, and gives it back with the connection. (TypeORM takes every
 * connection through its driver's obtainMasterConnection, or
 * obtainSlaveConnection for a read replica's.)
 */
export function honourConnectionShares(dataSource: DataSource): void {
  const driver = dataSource.driver as unknown as ConnectionSource;
  driver.obtainMasterConnection = withinShare(driver.obtainMasterConnection.bind(driver));
  driver.obtainSlaveConnection = withinShare(driver.obtainSlaveConnection.bind(driver));
}

function withinShare(obtain: Obtain): Obtain {
  return async () => {
    const share = current.getStore()?.share;
    if (!share) return obtain();
    const leave = await share.enter();
    try {
      const [connection, release] = await obtain();
      return [
        connection,
        (error?: unknown) => {
          leave();
          return release(error);
        },
      ];
    } catch (error) {
      leave();
      throw error;
    }
  };
}
