import { writeFile } from 'node:fs/promises';
import { httpGraphql } from '@app/audit';

/** Fetches the checkpoint bundle as one JSON document, to keep and check later with audit:consistency or audit:witness. */
export async function bundle(options: { url?: string; token?: string; out?: string }): Promise<number> {
  if (!options.url) throw new Error('usage: audit:bundle --url URL [--token T] [--out FILE]');
  const data = (await httpGraphql(options.url, options.token ?? process.env.AUDIT_TOKEN)(`{ auditCheckpointBundle { document } }`, {})) as {
    auditCheckpointBundle?: { document?: unknown };
  } | null;
  const json = JSON.stringify(data?.auditCheckpointBundle?.document ?? null, null, 2);
  if (options.out) await writeFile(options.out, json);
  else console.log(json);
  return 0;
}
