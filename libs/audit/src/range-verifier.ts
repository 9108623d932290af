import { hash } from 'node:crypto';
import type pg from 'pg';
import { canonicalPayload, type ChainFault } from './hash-chain.js';
import { MerkleAccumulator } from './merkle.js';

/** Entries seq from..to of a ledger, checked on their own (one worker's share). */
export interface RangeJob {
  ledger: string;
  from: number;
  to: number;
  /** Checkpoint sizes inside from..to: the range's frontier is kept at each. */
  checkpointSizes: number[];
  batch?: number;
}

/** What the join needs of a range; hashes as hex so that it crosses threads as is. */
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
}

/**
 * The row as verification reads it (rowMode 'array'): the canonical text
 * around the payload comes written by PostgreSQL (to_json escapes exactly as
 * JSON.stringify does, which RFC 8785 uses for strings; the time as the hash
 * covers it), so JavaScript only encodes the payload, and builds no object per
 * row. Tests hold it to canonicalEntry. (The number is renamed so that ORDER
 * BY names the column, and the key serves it.)
 */
const RANGE_SELECT = `SELECT seq::float8 AS position,
  '{"action":' || to_json(action)::text || ',"actor":' || to_json(actor)::text || ',"ledger":' || to_json(ledger)::text ||
    ',"occurredAt":"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
    '","parties":' || array_to_json(parties)::text || ',"payload":',
  payload,
  ',"prevHash":' || to_json(prev_hash)::text || ',"seq":' || seq::text || ',"subjectId":' || to_json(subject_id)::text ||
    ',"subjectType":' || to_json(subject_type)::text || '}',
  prev_hash, hash
  FROM audit_entry WHERE ledger = $1 AND seq > $2 AND seq <= $3 ORDER BY ledger, seq LIMIT $4`;

type Row = [number, string, unknown, string, string, string];

/**
 * Checks one range's links and hashes and builds its Merkle subtrees. The
 * range's first link is left to the join (it needs the range before); the
 * first range reads from the lowest seq there is, so that a row below 1 is
 * seen as a gap, as the entry-by-entry check sees it.
 */
export async function verifyRange(client: pg.ClientBase, job: RangeJob, onProgress?: (checked: number) => void): Promise<RangeResult> {
  const batch = job.batch ?? 20_000;
  const wanted = new Set(job.checkpointSizes);
  const tree = new MerkleAccumulator();
  const result: RangeResult = { from: job.from, count: 0, firstPrevHash: null, lastHash: null, fault: null, frontiers: [], frontier: [] };
  const fetch = (after: number) => client.query<Row>({ text: RANGE_SELECT, values: [job.ledger, after, job.to, batch], rowMode: 'array' });
  let expected = job.from;
  let previous: string | null = null;
  // The next page is asked for before this one is checked, so PostgreSQL reads while JavaScript hashes.
  let next: Promise<pg.QueryArrayResult<Row>> | null = fetch(job.from === 1 ? Number.MIN_SAFE_INTEGER : job.from - 1);
  while (next) {
    const { rows }: pg.QueryArrayResult<Row> = await next;
    next = rows.length === batch ? fetch(rows[rows.length - 1][0]) : null;
    for (const [seq, head, payload, tail, prevHash, entryHash] of rows) {
      if (seq !== expected) result.fault = { seq: Math.min(seq, expected), reason: 'gap', expectedSeq: expected };
      // The first link is the join's to check, before this range's own faults.
      else if (previous === null) result.firstPrevHash = prevHash;
      else if (prevHash !== previous) result.fault = { seq, reason: 'broken-link' };
      const text: string = result.fault ? '' : head + canonicalPayload(payload) + tail;
      if (!result.fault && hash('sha256', text, 'hex') !== entryHash) result.fault = { seq, reason: 'hash-mismatch' };
      if (result.fault) break;
      previous = entryHash;
      expected += 1;
      tree.push(entryHash);
      if (wanted.has(seq)) result.frontiers.push({ size: seq, frontier: tree.frontier() });
    }
    result.count = expected - job.from;
    onProgress?.(result.count);
    if (result.fault) break;
  }
  // A page asked for ahead is drained before the connection is given back.
  await next?.catch(() => undefined);
  result.lastHash = previous;
  result.frontier = tree.frontier();
  return result;
}
