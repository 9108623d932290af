import { Injectable, Logger, Optional } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { badInput, checkPageSize, conflict, notFound, forbidden, toPage, type Page } from '@app/common';
import { KnownLedgers, type LedgerReader } from './ledger-reader.js';
import { appendAuditEntries } from './audit-append.js';
import { AuditRepository, type StoredCheckpoint } from './audit.repository.js';
import { signCheckpoint, signerOf, type CheckpointData } from './checkpoint.js';
import type { AuditEntryData, AuditEvent } from './hash-chain.js';
import { LedgerVerifier, type VerificationResult } from './ledger-verifier.js';
import { frontierRoot, MerkleAccumulator } from './merkle.js';
import { MerkleStore } from './merkle-store.js';
import type { ReceiptData } from './receipt.js';
import { PLATFORM_LEDGER } from './ledgers.js';
import { verifyRange, type RangeJob, type RangeResult } from './range-verifier.js';

/** From this many entries a ledger is verified on several connections at once. */
const PARALLEL_FROM = 100_000;
const RANGES_PER_CONNECTION = 4;

export interface VerifyOptions {
  /** Connections to verify on; by default one per core for a long ledger, else one. */
  connections?: number;
  /** Entries per range, a power of two; by default the ledger split evenly among the workers. */
  rangeSize?: number;
}

/** The signing key and the public keys whose past checkpoints are still trusted. */
export class AuditKeys {
  constructor(
    readonly signingKey: KeyObject,
    readonly trustedPublicKeys: KeyObject[],
  ) {}
}

export const MAX_AUDIT_PAGE = 500;

export interface CheckpointBundle {
  /** The city-wide root: the platform ledger anchors every district checkpoint. */
  platform: CheckpointData | null;
  ledgers: CheckpointData[];
}

/** The platform entry that anchors a district's signed checkpoint. */
export function anchorEvent(c: CheckpointData): AuditEvent {
  return {
    ledger: PLATFORM_LEDGER,
    actor: `signer:${c.keyId}`,
    action: 'checkpoint.anchored',
    subjectType: 'Checkpoint',
    subjectId: `${c.ledger}/${c.size}`,
    parties: [],
    payload: { ledger: c.ledger, size: c.size, rootHash: c.rootHash, signedAt: c.signedAt, keyId: c.keyId, signature: c.signature },
  };
}

const withoutFrontier = ({ frontier: _frontier, ...signed }: StoredCheckpoint): CheckpointData => signed;

/**
 * Why a stored checkpoint cannot be built on, or null when it can: signed by
 * a known key (the one its keyId names), no larger than the ledger, and with
 * a frontier that gives its root. Whether the root is that of the entries is
 * checked by audit_record_checkpoint when it is stored, and by verification.
 */
export function checkpointFault(c: StoredCheckpoint, ledgerSize: number, keys: readonly KeyObject[]): string | null {
  if (!signerOf(c, keys)) return `the checkpoint of size ${c.size} is not signed by a known key`;
  if (c.size > ledgerSize) return `the checkpoint of size ${c.size} is larger than the ledger (${ledgerSize} entries)`;
  if (frontierRoot(c.frontier, c.size) !== c.rootHash) return `the checkpoint of size ${c.size} has a frontier that does not give its root`;
  return null;
}

@Injectable()
export class AuditService {
  private readonly repository: AuditRepository;
  private readonly logger = new Logger('AuditService');
  private readonly tree: MerkleStore;

  constructor(
    private readonly db: DataSource,
    private readonly keys: AuditKeys,
    /** Without it, a ledger exists once it has an entry. */
    @Optional() private readonly known?: KnownLedgers,
  ) {
    this.repository = new AuditRepository(db);
    this.tree = new MerkleStore(db);
  }

  /** Every ledger that has entries, with its size. */
  ledgers(): Promise<{ ledger: string; size: number }[]> {
    return this.repository.ledgers();
  }

  size(ledger: string): Promise<number> {
    return this.repository.size(ledger);
  }

  entry(ledger: string, seq: number): Promise<AuditEntryData | null> {
    return this.repository.entry(ledger, seq);
  }

  /** A ledger exists once it has an entry, or when it is known before (a district's, from its onboarding). */
  async ledgerExists(ledger: string): Promise<boolean> {
    return (await this.repository.hasEntries(ledger)) || ((await this.known?.has(ledger)) ?? false);
  }

  private async requireLedger(ledger: string): Promise<void> {
    if (!(await this.ledgerExists(ledger))) throw notFound(`no ledger "${ledger}"`);
  }

  /** Auditors page a whole ledger; a department sees only the entries that concern it. */
  async log(caller: LedgerReader, ledger: string, afterSeq: number, first: number): Promise<Page<AuditEntryData>> {
    checkPageSize(first, MAX_AUDIT_PAGE);
    if (afterSeq < 0) throw badInput('afterSeq must not be negative');
    await this.requireLedger(ledger);
    const party = caller.mayReadWholeLedgers() ? null : caller.actor.department.code;
    return toPage(await this.repository.page(ledger, afterSeq, first + 1, party), first, (e) => [e.seq]);
  }

  async verify(caller: LedgerReader, ledger: string, onProgress?: (checked: number, total: number) => void): Promise<VerificationResult> {
    if (!caller.mayVerifyLedgers()) throw forbidden('only auditors and platform administrators verify ledgers');
    await this.requireLedger(ledger);
    return this.verifyLedger(ledger, onProgress);
  }

  /**
   * Verifies a ledger in ranges of seq, each checked on its own (links,
   * hashes, its Merkle subtrees; the hashing done by PostgreSQL, see
   * verifyRange) and joined in order by LedgerVerifier. A long ledger is
   * checked on several connections at once, each taking the next range; the
   * first fault found is the same either way.
   */
  async verifyLedger(
    ledger: string,
    onProgress?: (checked: number, total: number) => void,
    options: VerifyOptions = {},
  ): Promise<VerificationResult> {
    const total = await this.repository.size(ledger);
    const checkpoints = await this.checkpointsToVerify(ledger);
    const verifier = new LedgerVerifier(ledger, checkpoints, this.keys.trustedPublicKeys);
    // A pool of one is the embedded database's single session.
    const { poolSize } = this.db.options as { poolSize?: number };
    const wanted = options.connections ?? (total >= PARALLEL_FROM ? availableParallelism() : 1);
    const connections = poolSize === 1 ? 1 : Math.max(1, wanted);
    // Ranges are a power of two long, so that each is a perfect subtree of the ledger's tree;
    // a few per connection, so that connections finish together.
    const share = connections === 1 ? total : Math.ceil(total / (connections * RANGES_PER_CONNECTION));
    const rangeSize = options.rangeSize ?? 2 ** Math.ceil(Math.log2(Math.max(1, share)));
    if (!Number.isSafeInteger(rangeSize) || rangeSize < 1 || (rangeSize & (rangeSize - 1)) !== 0)
      throw new RangeError('rangeSize must be a power of two');
    if (!verifier.ok || total === 0) return verifier.finish();
    const jobs: RangeJob[] = [];
    for (let from = 1; from <= total; from += rangeSize) {
      const to = Math.min(total, from + rangeSize - 1);
      jobs.push({ ledger, from, to, checkpointSizes: checkpoints.map((c) => c.size).filter((size) => size >= from && size <= to) });
    }
    const ranges = await this.verifyRanges(jobs, connections, (checked) => onProgress?.(checked, total));
    for (const range of ranges) if (!range || !verifier.pushRange(range)) break;
    return verifier.finish();
  }

  /**
   * What the entries must still match: the ledger's stored checkpoints, and
   * for a district every checkpoint the platform ledger anchored. Deleting a
   * ledger's checkpoint rows (and its entries after them) leaves the anchors,
   * so a truncated or rewritten ledger still fails; two anchors of one size
   * with different roots cannot both match. One checkpoint stored and
   * anchored counts once.
   */
  private async checkpointsToVerify(ledger: string): Promise<CheckpointData[]> {
    const stored = await this.repository.checkpoints(ledger);
    const signatures = new Set(stored.map((c) => c.signature));
    return [...stored, ...(await this.signedAnchors(ledger)).filter((c) => !signatures.has(c.signature))];
  }

  /**
   * The district checkpoints the platform ledger anchors that an operator key
   * signed, larger than `pastSize`, smallest first (none for the platform ledger itself). Anyone who
   * may append can write an anchor entry: one no key signed is no evidence,
   * and is passed over.
   */
  private async signedAnchors(ledger: string, pastSize = 0): Promise<CheckpointData[]> {
    if (ledger === PLATFORM_LEDGER) return [];
    return (await this.repository.anchoredCheckpoints(ledger, pastSize))
      .filter((c) => signerOf(c, this.keys.trustedPublicKeys))
      .sort((a, b) => a.size - b.size);
  }

  /** Ranges in the order given, each connection taking the next; none is started after one finds a fault. */
  private async verifyRanges(jobs: RangeJob[], connections: number, onProgress: (checked: number) => void): Promise<RangeResult[]> {
    const results = new Array<RangeResult>(jobs.length);
    const checked = new Array<number>(jobs.length).fill(0);
    let next = 0;
    let faulted = false;
    const lane = async () => {
      const runner = this.db.createQueryRunner();
      try {
        const client = (await runner.connect()) as pg.PoolClient;
        while (next < jobs.length && !faulted) {
          const i = next++;
          results[i] = await verifyRange(client, jobs[i], (n) => {
            checked[i] = n;
            onProgress(checked.reduce((a, b) => a + b, 0));
          });
          faulted ||= results[i].fault !== null;
        }
      } finally {
        await runner.release();
      }
    };
    await Promise.all(Array.from({ length: Math.min(connections, jobs.length) }, lane));
    return results;
  }

  /** The largest stored checkpoint that can be trusted (see checkpointFault); forged or broken rows are passed over. */
  async latestCheckpoint(ledger: string, ledgerSize?: number): Promise<StoredCheckpoint | null> {
    const size = ledgerSize ?? (await this.repository.size(ledger));
    const PAGE = 64;
    for (let after: StoredCheckpoint | null = null; ;) {
      const rows = await this.repository.checkpointsDescending(ledger, size, PAGE, after);
      const trusted = rows.find((c) => checkpointFault(c, size, this.keys.trustedPublicKeys) === null);
      if (trusted) return trusted;
      if (rows.length < PAGE) return null;
      after = rows[rows.length - 1];
    }
  }

  /** A trusted checkpoint of exactly this size, if one is stored. */
  async checkpointOfSize(ledger: string, size: number): Promise<StoredCheckpoint | null> {
    const ledgerSize = await this.repository.size(ledger);
    const rows = await this.repository.checkpointsOfSize(ledger, size);
    return rows.find((c) => checkpointFault(c, ledgerSize, this.keys.trustedPublicKeys) === null) ?? null;
  }

  /**
   * Signs a checkpoint of the ledger as it is now, continuing the tree from the
   * latest trusted checkpoint's frontier so that only new entries are read.
   * The database recomputes the root before storing it (audit_record_checkpoint).
   */
  async checkpoint(ledger: string): Promise<StoredCheckpoint | null> {
    const size = await this.repository.size(ledger);
    if (size === 0) return null;
    const latest = await this.latestCheckpoint(ledger, size);
    if (latest && latest.size >= size) return latest;
    const tree = latest ? new MerkleAccumulator(latest.frontier, latest.size) : new MerkleAccumulator();
    // Anchors past what the latest trusted checkpoint covers: the entries must still give their roots. They would
    // not after a truncation, or a rewrite with the checkpoint rows deleted; signing then would only paper over it.
    const anchors = await this.signedAnchors(ledger, tree.size);
    const refuse = (why: string) => conflict(`ledger ${ledger} is not signed again: ${why}; verify it (audit:verify)`);
    if (anchors.length && anchors[anchors.length - 1].size > size) {
      throw refuse(`the platform ledger anchors a checkpoint of ${anchors[anchors.length - 1].size} entries and it has ${size}`);
    }
    let next = 0;
    for (const hash of await this.repository.hashesAfter(ledger, tree.size, size)) {
      tree.push(hash);
      for (; next < anchors.length && anchors[next].size === tree.size; next++) {
        if (anchors[next].rootHash !== tree.root()) throw refuse(`its entries no longer give the root anchored at size ${tree.size}`);
      }
    }
    const signed = signCheckpoint({ ledger, size, rootHash: tree.root(), signedAt: new Date().toISOString() }, this.keys.signingKey);
    // A district's checkpoint is anchored in the platform ledger in the same transaction:
    // the platform's checkpoint then covers every district's, one root for the city.
    const frontier = await this.db.transaction(async (tx) => {
      const stored = await this.repository.recordCheckpoint(signed, latest?.size ?? 0, tx);
      if (ledger !== PLATFORM_LEDGER) await appendAuditEntries(tx, [anchorEvent(signed)]);
      return stored;
    });
    return { ...signed, frontier };
  }

  /**
   * Signs a checkpoint for every ledger that grew by `minGrowth` entries, or at
   * all when `minGrowth` is 1. The platform ledger comes last, and is signed
   * whenever a district was, so that its checkpoint covers their anchors.
   */
  async checkpointGrownLedgers(minGrowth = 1): Promise<StoredCheckpoint[]> {
    const signed: StoredCheckpoint[] = [];
    const districts = (await this.repository.ledgers()).filter((l) => l.ledger !== PLATFORM_LEDGER);
    for (const { ledger, size } of districts) {
      const latest = await this.latestCheckpoint(ledger, size);
      if (size - (latest?.size ?? 0) >= minGrowth) {
        const c = await this.checkpoint(ledger);
        if (c) signed.push(c);
      }
    }
    const platformSize = await this.repository.size(PLATFORM_LEDGER);
    const platformLatest = await this.latestCheckpoint(PLATFORM_LEDGER, platformSize);
    if (platformSize > 0 && (signed.length > 0 || platformSize - (platformLatest?.size ?? 0) >= minGrowth)) {
      const c = await this.checkpoint(PLATFORM_LEDGER);
      if (c && c.size !== platformLatest?.size) signed.push(c);
    }
    return signed;
  }

  /**
   * Every ledger's latest trusted checkpoint, and the platform's: what a
   * department or a witness keeps and later checks consistency against.
   */
  async bundle(): Promise<CheckpointBundle> {
    const ledgers: CheckpointData[] = [];
    for (const { ledger, size } of await this.repository.ledgers()) {
      if (ledger === PLATFORM_LEDGER) continue;
      const c = await this.latestCheckpoint(ledger, size);
      if (c) ledgers.push(withoutFrontier(c));
    }
    const platform = await this.latestCheckpoint(PLATFORM_LEDGER);
    return { platform: platform && withoutFrontier(platform), ledgers };
  }

  async signCheckpoint(caller: LedgerReader, ledger: string): Promise<StoredCheckpoint> {
    if (!caller.mayVerifyLedgers()) throw forbidden('only auditors and platform administrators sign checkpoints on demand');
    await this.requireLedger(ledger);
    const c = await this.checkpoint(ledger);
    if (!c) throw notFound(`ledger "${ledger}" has no entries yet`);
    return c;
  }

  /**
   * The proof that an entry is in the log: its hash, the latest trusted
   * checkpoint and the inclusion proof. A read never signs: until a checkpoint
   * covers the entry the receipt has none (the background signer makes one
   * within AUDIT_CHECKPOINT_EVERY_SECONDS).
   */
  async receipt(caller: LedgerReader, ledger: string, seq: number): Promise<ReceiptData> {
    await this.requireLedger(ledger);
    const entry = await this.repository.entry(ledger, seq);
    // An entry the caller may not read is reported exactly as a missing one.
    if (!entry || !caller.mayReadAuditEntry(entry)) throw notFound(`no entry ${seq} in ledger "${ledger}"`);
    return this.receiptFor(entry);
  }

  /**
   * `signIfUncovered` is for write paths only (a mutation that just appended
   * the entry and returns its receipt): it signs a checkpoint when none covers
   * the entry yet.
   */
  async receiptFor(entry: AuditEntryData, { signIfUncovered = false } = {}): Promise<ReceiptData> {
    let checkpoint = await this.latestCheckpoint(entry.ledger);
    if (signIfUncovered && (!checkpoint || checkpoint.size < entry.seq)) checkpoint = await this.checkpoint(entry.ledger);
    const covering = checkpoint && checkpoint.size >= entry.seq ? checkpoint : null;
    const proof = covering ? await this.tree.inclusionProof(entry.ledger, entry.seq - 1, covering.size) : [];
    return { ledger: entry.ledger, seq: entry.seq, entryHash: entry.hash, entry, checkpoint: covering && withoutFrontier(covering), proof };
  }

  /** Each ledger with entries and its size (its latest seq): where a reader that starts now begins. */
  ledgerSizes(): Promise<{ ledger: string; size: number }[]> {
    return this.repository.tails();
  }

  /** Entries with one of `actions` after per-ledger positions, for change feeds; see AuditRepository.entriesAfter. */
  entriesAfter(positions: ReadonlyMap<string, number>, actions: readonly string[], limit: number): Promise<AuditEntryData[]> {
    return this.repository.entriesAfter(positions, actions, limit);
  }

  /** Entries of one ledger with one of `actions`, seq afterSeq+1..upTo. */
  entriesBetween(ledger: string, afterSeq: number, upTo: number, actions: readonly string[]): Promise<AuditEntryData[]> {
    return this.repository.entriesBetween(ledger, afterSeq, upTo, actions);
  }

  /** With `tx`, read inside that transaction (the embedded database has one session: no second one to read from). */
  latestAbout(ledger: string, subjectType: string, subjectId: string, tx?: EntityManager): Promise<AuditEntryData | null> {
    return this.repository.latestAbout(ledger, subjectType, subjectId, tx);
  }

  /**
   * RFC 6962 consistency proof from any earlier size (a checkpoint or receipt
   * someone kept) to a signed checkpoint. fromRoot is the root of the first
   * fromSize entries as the log holds them now: a holder compares the proof
   * with the root it kept, never with this one.
   */
  async consistency(ledger: string, fromSize: number, toSize: number) {
    if (fromSize < 1 || fromSize > toSize) throw badInput('fromSize must be at least 1 and at most toSize');
    await this.requireLedger(ledger);
    const to = await this.checkpointOfSize(ledger, toSize);
    if (!to) throw notFound(`ledger "${ledger}" has no signed checkpoint of size ${toSize}`);
    const { proof, fromRoot } = await this.tree.consistency(ledger, fromSize, toSize);
    return { ledger, fromSize, toSize, fromRoot, toRoot: to.rootHash, proof };
  }
}
