import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * PostGraphile 4, the peer the directory benchmark measures the service
 * against. It lives in its own install (bench/postgraphile-peer, own
 * package.json and lock): PostGraphile 4 needs graphql 15, the service 16.
 */
const PEER_DIR = fileURLToPath(new URL('./postgraphile-peer/', import.meta.url));

/** The same page as the service's `files` case (a): a category's first 20 files, newest first, with the total, owner, district and fields. */
export const PEER_PAGE = `query ($category: String!) {
  allDataFiles(first: 20, condition: { category: $category }, orderBy: [UPDATED_AT_DESC, ID_DESC]) {
    totalCount
    pageInfo { endCursor }
    nodes { id title classification
      departmentByDistrictIdAndOwnerDepartmentId { name }
      districtByDistrictId { code }
      dataFieldsByDistrictIdAndFileId(orderBy: POSITION_ASC) { nodes { name type } } } } }`;

/** Installs the peer on first use (npm ci from its lock file). */
export function ensurePeerInstalled(): void {
  if (existsSync(`${PEER_DIR}node_modules/postgraphile/package.json`)) return;
  process.stdout.write('Installing the PostGraphile 4 peer (once)... ');
  const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: PEER_DIR,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (npm.status !== 0) throw new Error(`npm ci in bench/postgraphile-peer failed (${npm.status})`);
  console.log('done');
}

/** PostGraphile in a process of its own on `port`; resolves once it serves. */
export async function startPeer(databaseUrl: string, port: number, poolSize = 10): Promise<ChildProcess> {
  ensurePeerInstalled();
  const child = spawn(process.execPath, [`${PEER_DIR}server.mjs`], {
    cwd: PEER_DIR,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), POOL_SIZE: String(poolSize), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`PostGraphile exited with ${code}`)));
  });
  return child;
}
