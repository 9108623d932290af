import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { DataSource, QueryRunner, ReplicationMode } from 'typeorm';

const replicaReads = new AsyncLocalStorage<true>();

/**
 * From here on in the current asynchronous flow (a read-only request's
 * execution), statements that only read and run outside a transaction may be
 * served by a read replica. Set it before the flow's first await. Everything
 * else (mutations, transactions, the caller's grants decided before
 * execution, background work) stays on the primary.
 */
export function readFromReplicas(): void {
  replicaReads.enterWith(true);
}

/**
 * A statement a hot standby can run and that means the same there: a SELECT
 * or WITH that writes nothing, takes no row lock and asks nothing of the
 * primary's transaction state. The audit log's functions are called with
 * SELECT and write, so none of them is taken for a read. A false "no" only
 * sends a read to the primary.
 */
const WRITES_OR_PRIMARY_ONLY =
  /\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|nextval|setval|pg_notify|set_config|pg_advisory\w*|txid_current\w*|pg_current_\w+|FOR\s+SHARE)\b|\baudit_\w+\s*\(/i;
export function isPlainRead(sql: string): boolean {
  return /^\s*(SELECT|WITH)\b/i.test(sql) && !WRITES_OR_PRIMARY_ONLY.test(sql);
}

interface RoutableRunner {
  mode: ReplicationMode;
  databaseConnection?: unknown;
  databaseConnectionPromise?: unknown;
}

/**
 * A query runner that decides where it connects at its first statement: a
 * plain read in a flow that may read from replicas goes to a replica, any
 * other first statement (or a transaction) to the primary. TypeORM's runner
 * connects lazily on its first statement, so setting its mode before that is
 * enough; once connected it stays where it is.
 */
function steer(runner: QueryRunner): QueryRunner {
  const routable = runner as unknown as RoutableRunner;
  const unconnected = () => !routable.databaseConnection && !routable.databaseConnectionPromise;
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  const startTransaction = runner.startTransaction.bind(runner);
  runner.query = ((sql: string, ...rest: unknown[]) => {
    if (unconnected()) routable.mode = !runner.isTransactionActive && isPlainRead(sql) ? 'slave' : 'master';
    return query(sql, ...rest);
  }) as QueryRunner['query'];
  runner.startTransaction = (isolationLevel) => {
    if (unconnected()) routable.mode = 'master';
    return startTransaction(isolationLevel);
  };
  return runner;
}

interface ReplicatedDriver {
  isReplicated: boolean;
  obtainMasterConnection(): Promise<[unknown, (error?: unknown) => unknown]>;
  obtainSlaveConnection(): Promise<[unknown, (error?: unknown) => unknown]>;
}

/** Called with the error when a replica could not give a connection and the read went to the primary. */
export type ReplicaFallback = (error: unknown) => void;

/**
 * Makes a data source created with TypeORM's `replication` option send plain
 * reads of `readFromReplicas` flows to its replicas (TypeORM's own default
 * would send every query builder SELECT there, mutations' included, and
 * `DataSource.query` nowhere). A replica that refuses a connection is passed
 * over for the primary, so a replica down costs load, not requests.
 */
export function routeReadsToReplicas(dataSource: DataSource, onFallback: ReplicaFallback = () => {}): void {
  const driver = dataSource.driver as unknown as ReplicatedDriver;
  if (!driver.isReplicated) return;
  const create = dataSource.createQueryRunner.bind(dataSource);
  // Every runner starts on the primary (whatever mode was asked: a query builder asks for a replica by default).
  dataSource.createQueryRunner = () => {
    const runner = create('master');
    return replicaReads.getStore() ? steer(runner) : runner;
  };
  const obtainSlave = driver.obtainSlaveConnection.bind(driver);
  const obtainMaster = driver.obtainMasterConnection.bind(driver);
  driver.obtainSlaveConnection = async () => {
    try {
      return await obtainSlave();
    } catch (error) {
      onFallback(error);
      return obtainMaster();
    }
  };
}

/** The channel on which API processes tell each other that a department has just written. */
const WRITES_CHANNEL = 'department_wrote';
const RECONNECT_DELAY_MS = 1000;

/** Tells every process listening on this primary (itself included) that a department has just written. */
export async function announceWrite(db: DataSource, department: string): Promise<void> {
  await db.query(`SELECT pg_notify('${WRITES_CHANNEL}', $1)`, [department]);
}

export interface WriteListener {
  /** A department wrote, through any process. */
  heard(department: string): void;
  /** The listening connection is lost (true) or back (false): writes of other processes go unheard meanwhile. */
  deaf(deaf: boolean, error?: Error): void;
}

/**
 * One connection per process that LISTENs for announceWrite, reconnecting
 * when it is lost. Resolves once listening; the returned function stops it.
 */
export async function listenForWrites(url: string, listener: WriteListener): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  const listen = async () => {
    const next = new pg.Client({ connectionString: url, application_name: 'directory-api-writes' });
    next.on('notification', (n) => n.payload && listener.heard(n.payload));
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next));
    await next.connect();
    await next.query(`LISTEN ${WRITES_CHANNEL}`);
    client = next;
  };
  const lost = (gone: pg.Client, error?: Error) => {
    if (client !== gone || stopped) return;
    client = null;
    listener.deaf(true, error);
    gone.end().catch(() => undefined);
    const retry = () => {
      if (stopped) return;
      listen()
        .then(() => listener.deaf(false))
        .catch(() => setTimeout(retry, RECONNECT_DELAY_MS).unref());
    };
    setTimeout(retry, RECONNECT_DELAY_MS).unref();
  };
  await listen();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}
