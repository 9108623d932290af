import type { DataSource } from 'typeorm';
import { appendAuditEntries, type AuditEvent } from '@app/audit';
import { importGrantHistory, type Action, type Classification, type GrantHistoryRow } from '@app/access';
import { FilesRepository, type NewFile } from '../files.repository.js';
import { CATEGORIES, COMMON_FIELDS, FORMATS, FREQUENCIES, QUALIFIERS, type CategorySpec } from './catalog.js';
import { Prng, stableUuid } from './prng.js';

export interface PilotOptions {
  /** The district whose departments own the files (the pilot city). */
  districtCode: string;
  files: number;
  permissions: number;
  seed: number;
}

export const PILOT_DEFAULTS: PilotOptions = { districtCode: 'beijing', files: 44_000, permissions: 8_000, seed: 20_261_127 };

export type Progress = (phase: 'files' | 'permissions', done: number, total: number) => void;

interface Department {
  id: string;
  code: string;
  district_id: string;
  district_code: string;
}

const CLASSIFICATION_MIX: [Classification, number][] = [
  ['PUBLIC', 25],
  ['INTERNAL', 40],
  ['RESTRICTED', 25],
  ['CONFIDENTIAL', 10],
];
/** Before this instant every seeded timestamp lies, so the data set is the same whenever it is made. */
const EPOCH = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const BATCH = 2_000;

function categoriesOf(department: Department): CategorySpec[] {
  const own = CATEGORIES.filter((c) => c.ownerWords.some((w) => w && department.code.includes(w)));
  return own.length ? own : CATEGORIES.filter((c) => c.name === 'administration');
}

/** The pilot's files, generated from the seed alone: the same seed gives the same files. */
export function generatePilotFiles(departments: Department[], options: PilotOptions): NewFile[] {
  const rng = new Prng(options.seed);
  // A few departments hold much more data than the rest, as in any city.
  const weighted = departments.map((d, i) => [d, 1 / Math.sqrt(i + 1)] as const);
  const counters = new Map<string, number>();
  const files: NewFile[] = [];
  for (let i = 0; i < options.files; i++) {
    const owner = rng.weighted(weighted);
    const category = rng.pick(categoriesOf(owner));
    const n = (counters.get(owner.code) ?? 0) + 1;
    counters.set(owner.code, n);
    const code = `${owner.code.slice(owner.district_code.length + 1)}-${String(n).padStart(5, '0')}`;
    const specific = rng.sample(category.fields, rng.int(Math.min(3, category.fields.length), category.fields.length));
    const common = rng.sample(COMMON_FIELDS, rng.int(2, COMMON_FIELDS.length));
    const extra = Array.from(
      { length: rng.int(0, 12) },
      (_, k) => [`attribute_${k + 1}`, rng.pick(['string', 'integer', 'number', 'date'] as const), false] as const,
    );
    const fields = [...specific, ...common, ...extra].slice(0, 30).map(([name, type, sensitive]) => ({
      name,
      type,
      sensitive,
      description: null,
    }));
    const title = `${rng.pick(category.titles)} (${rng.pick(QUALIFIERS)})`;
    files.push({
      districtId: owner.district_id,
      id: stableUuid(`${owner.district_code}/${code}`),
      code,
      title,
      description: `${title}, kept by ${owner.code}. Category: ${category.name}.`,
      ownerDepartmentId: owner.id,
      classification: rng.weighted(CLASSIFICATION_MIX),
      category: category.name,
      tags: rng.sample(category.tags, rng.int(1, 3)),
      format: rng.pick(FORMATS),
      updateFrequency: rng.pick(FREQUENCIES),
      updatedAt: new Date(EPOCH - rng.int(0, 3 * 365) * DAY - rng.int(0, DAY - 1)).toISOString(),
      fields,
    });
  }
  return files;
}

/** A generated grant: its row as the access library loads it, and the codes its audit entry names. */
export interface NewGrant extends GrantHistoryRow {
  scope_max_classification: Classification | null;
  action: Action;
  grantee_code: string;
  owner_code: string;
}

const PURPOSES = [
  'joint service delivery',
  'statistical analysis',
  'eligibility verification',
  'emergency response planning',
  'audit of public spending',
  'urban planning study',
  'fraud prevention',
  'public health surveillance',
];

/** The pilot's grants: file and scope grants, field-limited ones, some expired, some revoked. */
/** A seeded grant's audit entries in `ledger`: its granting, and its revocation when it was revoked. */
export function seededGrantEvents(ledger: string, grants: readonly NewGrant[]): AuditEvent[] {
  return grants.flatMap((g) => {
    const common = { ledger, actor: g.granted_by, subjectType: 'Permission', subjectId: g.id, parties: [g.owner_code, g.grantee_code] };
    const granted = {
      ...common,
      action: 'permission.granted',
      payload: {
        fileId: g.file_id,
        scope: g.scope_category,
        action: g.action,
        fields: g.fields,
        purpose: g.purpose,
        expiresAt: g.expires_at,
        seeded: true,
      },
    };
    return g.revoked_at
      ? [granted, { ...common, action: 'permission.revoked', payload: { reason: g.revoke_reason, seeded: true } }]
      : [granted];
  });
}

export function generatePilotGrants(files: NewFile[], departments: Department[], options: PilotOptions): NewGrant[] {
  const rng = new Prng(options.seed ^ 0x5eed);
  const byId = new Map(departments.map((d) => [d.id, d]));
  const guarded = files.filter((f) => f.classification !== 'PUBLIC');
  const grants: NewGrant[] = [];
  for (let i = 0; i < options.permissions; i++) {
    const grantee = rng.pick(departments);
    const scope = rng.next() < 0.25;
    const file = rng.pick(guarded);
    const owner = byId.get(file.ownerDepartmentId) as Department;
    if (owner.id === grantee.id) {
      i--;
      continue;
    }
    const sensitive = file.fields.filter((f) => f.sensitive).map((f) => f.name);
    const limited = !scope && sensitive.length > 0 && rng.next() < 0.5;
    const validFrom = EPOCH - rng.int(30, 700) * DAY;
    const fate = rng.weighted([
      ['open', 57],
      ['expiring', 30],
      ['expired', 8],
      ['revoked', 5],
    ] as const);
    const expiresAt =
      fate === 'expired' ? validFrom + rng.int(10, 25) * DAY : fate === 'expiring' ? Date.UTC(2027, 0, 1) + rng.int(30, 900) * DAY : null;
    grants.push({
      district_id: file.districtId,
      id: stableUuid(`grant/${options.seed}/${i}`),
      file_id: scope ? null : (file.id as string),
      scope_category: scope ? file.category : null,
      scope_max_classification: scope ? rng.pick(['INTERNAL', 'RESTRICTED'] as const) : null,
      grantee_department_id: grantee.id,
      action: scope
        ? rng.pick(['DISCOVER', 'READ'] as const)
        : rng.weighted([
            ['DISCOVER', 20],
            ['READ', 45],
            ['EXCHANGE', 35],
          ] as const),
      fields: limited
        ? [
            ...rng.sample(sensitive, rng.int(1, sensitive.length)),
            ...rng.sample(
              file.fields.filter((f) => !f.sensitive).map((f) => f.name),
              3,
            ),
          ]
        : null,
      purpose: rng.pick(PURPOSES),
      valid_from: new Date(validFrom).toISOString(),
      expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      granted_by: `pilot-seed@${owner.code}`,
      revoked_at: fate === 'revoked' ? new Date(validFrom + rng.int(1, 20) * DAY).toISOString() : null,
      revoked_by: fate === 'revoked' ? `pilot-seed@${owner.code}` : null,
      revoke_reason: fate === 'revoked' ? 'purpose fulfilled' : null,
      grantee_code: grantee.code,
      owner_code: owner.code,
    });
  }
  return grants;
}

/**
 * Loads the pilot data set; idempotent, since every row has a stable key and
 * existing rows are left alone. File registrations and grants are audited as
 * any are, a batch at a time (audit_append_many).
 */
export async function seedPilot(db: DataSource, options: PilotOptions = PILOT_DEFAULTS, progress: Progress = () => {}) {
  const departments = await db.query<Department[]>(
    `SELECT d.id, d.code, d.district_id, di.code AS district_code
       FROM department d JOIN district di ON di.id = d.district_id
      WHERE di.code = $1 ORDER BY d.code`,
    [options.districtCode],
  );
  if (departments.length === 0) throw new Error(`district "${options.districtCode}" is not onboarded; run the migrations first`);
  const allDepartments = await db.query<Department[]>(
    `SELECT d.id, d.code, d.district_id, di.code AS district_code FROM department d JOIN district di ON di.id = d.district_id ORDER BY d.code`,
  );

  const files = generatePilotFiles(departments, options);
  const repository = new FilesRepository(db);
  let filesInserted = 0;
  /** The pilot's files that are in the directory after the load: there before, or inserted now. */
  const stored = new Set<string>();
  const ownerCode = new Map(departments.map((d) => [d.id, d.code]));
  for (let i = 0; i < files.length; i += BATCH) {
    filesInserted += await db.transaction(async (tx) => {
      const batch = files.slice(i, i + BATCH);
      // Every registration is audited, as registerFile does; a file already there was audited when it came.
      const present = new Set(
        (
          await tx.query<{ id: string }[]>(`SELECT id FROM data_file WHERE district_id = $1 AND id = ANY($2::uuid[])`, [
            departments[0].district_id,
            batch.map((f) => f.id),
          ])
        ).map((r) => r.id),
      );
      // A file whose code its department already has (registered meanwhile) is skipped: only those inserted are audited.
      const inserted = new Set(
        await repository.insertMany(
          tx,
          batch.filter((f) => !present.has(f.id!)),
        ),
      );
      for (const id of [...present, ...inserted]) stored.add(id);
      await appendAuditEntries(
        tx,
        batch
          .filter((f) => inserted.has(f.id!))
          .map((f) => {
            const owner = ownerCode.get(f.ownerDepartmentId)!;
            return {
              ledger: options.districtCode,
              actor: `pilot-seed@${owner}`,
              action: 'file.registered',
              subjectType: 'DataFile',
              subjectId: f.id!,
              parties: [owner],
              payload: {
                code: f.code,
                title: f.title,
                classification: f.classification,
                fields: f.fields.map((x) => x.name),
                seeded: true,
              },
            };
          }),
      );
      return inserted.size;
    });
    progress('files', Math.min(i + BATCH, files.length), files.length);
  }

  // Fresh statistics, or the foreign-key checks below plan for an empty table and scan.
  await db.query('ANALYZE data_file, data_field, permission, audit_entry');

  // A grant on a pilot file that was skipped (its code taken) is left out with it.
  const grants = generatePilotGrants(files, allDepartments, options).filter((g) => g.file_id === null || stored.has(g.file_id));
  let grantsInserted = 0;
  for (let i = 0; i < grants.length; i += BATCH) {
    grantsInserted += await db.transaction(async (tx) => {
      const batch = grants.slice(i, i + BATCH);
      // The permission table is the access library's: it writes the rows, this load audits them.
      const insertedIds = await importGrantHistory(tx, batch);
      const events = seededGrantEvents(
        options.districtCode,
        batch.filter((g) => insertedIds.has(g.id)),
      );
      await appendAuditEntries(tx, events);
      return insertedIds.size;
    });
    progress('permissions', Math.min(i + BATCH, grants.length), grants.length);
  }
  return { filesInserted, grantsInserted, files: files.length, grants: grants.length };
}
