import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { verifyRange, type RangeJob } from './range-verifier.js';

/** A verification worker: its own connection, one range at a time (see range-pool). */
const port = parentPort!;
const client = new pg.Client({ connectionString: (workerData as { url: string }).url, application_name: 'audit-verify' });
await client.connect();
port.on('message', (job: RangeJob | null) => {
  if (job === null) {
    void client.end().finally(() => port.close());
    return;
  }
  verifyRange(client, job, (checked) => port.postMessage({ progress: checked }))
    .then((result) => port.postMessage({ result }))
    .catch((error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }));
});
port.postMessage({ ready: true });
