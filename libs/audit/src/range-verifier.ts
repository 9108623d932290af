import { hash } from 'node:crypto';
import type pg from 'pg';
import { canonicalPayload, type ChainFault } from './hash-chain.js';
import { MerkleAccumulator } from './merkle.js';

/** Entries seq from..to of a ledger, checked on their own (one connection's share). */
export interface RangeJob {
  ledger: string;
  from: number;
  to: number;
  /** Checkpoint sizes inside from..to: the range's frontier is kept at each. */
  checkpointSizes: number[];
  batch?: number;
}

/** What the join needs of a range. */
export interface RangeResult {
  from: number;
  /** Entries that verified, from `from` on without a gap. */
  count: number;
  /** prev_hash of entry `from`, if it is there: the join checks it against the range before. */
  firstPrevHash: string | null;
  lastHash: string | null;
  fault: ChainFault | null;
  /** The range's own subtrees (largest first) at each checkpoint size reached. */
  frontiers: { size: number; frontier: string[] }[];
  /** The range's subtrees after its last verified entry. */
  frontier: string[];
  /** Entries PostgreSQL could not confirm, checked one by one in JavaScript (pages of them). */
  checkedInJavaScript: number;
}

/** The canonical text of an entry around its payload, written by PostgreSQL (to_json escapes as JSON.stringify does). */
const HEAD = `'{"action":' || to_json(action)::text || ',"actor":' || to_json(actor)::text || ',"ledger":' || to_json(ledger)::text ||
    ',"occurredAt":"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
    '","parties":' || array_to_json(parties)::text || ',"payload":'`;
const TAIL = `',"prevHash":' || to_json(prev_hash)::text || ',"seq":' || seq::text || ',"subjectId":' || to_json(subject_id)::text ||
    ',"subjectType":' || to_json(subject_type)::text || '}'`;
/**
 * Whether the table's CHECK constraint binds every cached text to its payload
 * (migration AuditPayloadCacheBound): it holds even with triggers disabled, so
 * while it is there and validated, each entry's cache need not be parsed and
 * compared again. Asked in each page's statement (once, as an InitPlan): the
 * constraint cannot be dropped while the statement reads the table.
 */
export const CACHE_BOUND = `(SELECT EXISTS (SELECT FROM pg_constraint WHERE conrelid = 'audit_entry'::regclass AND contype = 'c' AND convalidated
    AND pg_get_constraintdef(oid) = 'CHECK (((payload_jcs IS NULL) OR ((payload_jcs)::jsonb = payload)))'))`;
/** One page of a range: entries after $2 up to $3, at most $4 (ORDER BY names the key's columns, so the key serves it). */
const PAGE = `FROM audit_entry WHERE ledger = $1 AND seq > $2 AND seq <= $3 ORDER BY ledger, seq LIMIT $4`;

/**
 * A page confirmed inside PostgreSQL: each entry's hash is the SHA-256 of its
 * canonical text, built from its columns and the payload's cached RFC 8785
 * text (payload_jcs), which must still describe the payload; and each entry
 * links to the one before it in the page. PostgreSQL answers with one row:
 * whether the whole page holds, the first entry's prev_hash, the last one's
 * hash, and every entry as 8 bytes of seq and 32 of its Merkle leaf hash, in
 * seq order (JavaScript checks the seqs follow on, which also proves the
 * order, and builds the tree above the leaves). A page
 * that does not hold is checked again entry by entry (checkInJavaScript),
 * which decides.
 */
const CONFIRM_PAGE = `
  WITH page AS (
    SELECT seq, prev_hash, hash,
      CASE WHEN sha256(convert_to(${HEAD} || payload_jcs || ${TAIL}, 'UTF8')) = decode(hash, 'hex')
           THEN ${CACHE_BOUND} OR payload_jcs::jsonb = payload ELSE false END AS sealed
    ${PAGE}
  ), walked AS (
    SELECT seq, prev_hash, hash, sealed, lag(hash) OVER w AS before, lead(seq) OVER w IS NULL AS last
      FROM page WINDOW w AS (ORDER BY seq)
  )
  SELECT count(*)::int AS n,
    coalesce(bool_and(sealed AND (before IS NULL OR prev_hash = before)), true) AS holds,
    max(prev_hash) FILTER (WHERE before IS NULL) AS "firstPrevHash",
    max(hash) FILTER (WHERE last) AS "lastHash",
    string_agg(CASE WHEN sealed THEN int8send(seq) || sha256('\\x00'::bytea || decode(hash, 'hex')) END, ''::bytea) AS leaves
  FROM walked`;
const ENTRY_BYTES = 40;

/** The same page as rows (rowMode 'array'), for JavaScript to check entry by entry. */
const PAGE_ROWS = `SELECT seq::float8 AS position, ${HEAD}, payload, ${TAIL}, prev_hash, hash ${PAGE}`;

type Row = [number, string, unknown, string, string, string];
interface ConfirmedPage {
  n: number;
  holds: boolean;
  firstPrevHash: string | null;
  lastHash: string | null;
  leaves: Buffer | null;
}

/** The page's leaf hashes as confirmed, if their seqs follow on from `expected` (else null). */
function inOrder(page: ConfirmedPage, expected: number): Buffer[] | null {
  if (!page.holds || page.lastHash === null || page.leaves?.length !== page.n * ENTRY_BYTES) return null;
  const leaves: Buffer[] = [];
  for (let i = 0; i < page.n; i++) {
    const at = i * ENTRY_BYTES;
    if (Number(page.leaves.readBigInt64BE(at)) !== expected + i) return null;
    leaves.push(page.leaves.subarray(at + 8, at + ENTRY_BYTES));
  }
  return leaves;
}

/**
 * Checks one range's links and hashes and builds its Merkle subtrees. The
 * range's first link is left to the join (it needs the range before); the
 * first range reads from the lowest seq there is, so that a row below 1 is
 * seen as a gap, as the entry-by-entry check sees it.
 */
export async function verifyRange(client: pg.ClientBase, job: RangeJob, onProgress?: (checked: number) => void): Promise<RangeResult> {
  const batch = job.batch ?? 16_384;
  const wanted = new Set(job.checkpointSizes);
  const tree = new MerkleAccumulator();
  const result: RangeResult = {
    from: job.from,
    count: 0,
    firstPrevHash: null,
    lastHash: null,
    fault: null,
    frontiers: [],
    frontier: [],
    checkedInJavaScript: 0,
  };
  let expected = job.from;
  let previous: string | null = null;
  let after = job.from === 1 ? Number.MIN_SAFE_INTEGER : job.from - 1;

  const keepFrontier = (seq: number) => {
    if (wanted.has(seq)) result.frontiers.push({ size: seq, frontier: tree.frontier() });
  };
  /** The rule of the entry-by-entry check: the first fault in seq order wins. */
  const checkInJavaScript = (rows: Row[]) => {
    for (const [seq, head, payload, tail, prevHash, entryHash] of rows) {
      if (seq !== expected) result.fault = { seq: Math.min(seq, expected), reason: 'gap', expectedSeq: expected };
      // The first link is the join's to check, before this range's own faults.
      else if (previous === null) result.firstPrevHash = prevHash;
      else if (prevHash !== previous) result.fault = { seq, reason: 'broken-link' };
      if (!result.fault && hash('sha256', head + canonicalPayload(payload) + tail, 'hex') !== entryHash)
        result.fault = { seq, reason: 'hash-mismatch' };
      if (result.fault) return;
      previous = entryHash;
      expected += 1;
      tree.push(entryHash);
      keepFrontier(seq);
    }
  };
  const confirmInDatabase = async (after: number): Promise<ConfirmedPage | null> => {
    try {
      const { rows } = await client.query<ConfirmedPage>(CONFIRM_PAGE, [job.ledger, after, job.to, batch]);
      return rows[0];
    } catch (error) {
      // A cached text that is not JSON any more (written around the triggers): the entries decide.
      if (String((error as { code?: unknown }).code).startsWith('22')) return null;
      throw error;
    }
  };

  let next = confirmInDatabase(after);
  for (;;) {
    const page = await next;
    if (page?.n === 0) break;
    // The page's first link is checked here, against the page before (or left to the join).
    const leaves: Buffer[] | null = page && (previous === null || page.firstPrevHash === previous) ? inOrder(page, expected) : null;
    let n: number;
    if (leaves) {
      n = leaves.length;
      // A whole page that holds is followed by another: PostgreSQL confirms it while this one's tree is built.
      if (n === batch) next = confirmInDatabase(expected + n - 1);
      if (previous === null) result.firstPrevHash = page!.firstPrevHash;
      for (const leaf of leaves) {
        tree.pushSubtree(leaf, 1);
        keepFrontier(expected++);
      }
      previous = page!.lastHash;
      after = expected - 1;
    } else {
      const { rows } = await client.query<Row>({ text: PAGE_ROWS, values: [job.ledger, after, job.to, batch], rowMode: 'array' });
      n = rows.length;
      result.checkedInJavaScript += n;
      checkInJavaScript(rows);
      if (n) after = rows[n - 1][0];
      if (!result.fault && n === batch) next = confirmInDatabase(after);
    }
    result.count = expected - job.from;
    onProgress?.(result.count);
    if (result.fault || n < batch) break;
  }
  result.lastHash = previous;
  result.frontier = tree.frontier();
  return result;
}
