import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Action, Classification } from '@app/access';
import type { Actor, DepartmentRef, Role } from '@app/auth';
import type { DataFieldRow } from '@app/directory';
// The fixture inserts files as the directory does, below its service's checks.
import { FilesRepository } from '../libs/directory/src/files.repository.js';

export interface WorldFile {
  id: string;
  districtId: string;
  ownerDepartmentId: string;
  classification: Classification;
  category: string;
  code: string;
  fields: DataFieldRow[];
}

export interface WorldGrant {
  fileId?: string;
  scope?: { districtId: string; category: string; maxClassification: Classification };
  grantee: DepartmentRef;
  action: Action;
  fields?: string[] | null;
  validFrom?: Date;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  purpose?: string;
  /** `subject@department`, as the service records it; 'test' by default. */
  grantedBy?: string;
}

const field = (name: string, sensitive = false): DataFieldRow => ({ name, type: 'string', sensitive, description: null });
export const DEFAULT_FIELDS = [
  field('record_id'),
  field('visit_date'),
  field('age'),
  field('patient_name', true),
  field('id_number', true),
];

/** Builds small districts, departments, files and grants for one test, straight through SQL. */
export class World {
  private readonly files: FilesRepository;
  private counter = 0;

  constructor(readonly db: DataSource) {
    this.files = new FilesRepository(db);
  }

  async district(code: string, level = 'district'): Promise<{ id: string; code: string }> {
    const [row] = await this.db.query<{ id: string; code: string }[]>(
      `INSERT INTO district (code, name, level) VALUES ($1, $2, $3) RETURNING id, code`,
      [code, code, level],
    );
    return row;
  }

  async department(code: string, district: { id: string; code: string }): Promise<DepartmentRef> {
    const [row] = await this.db.query<{ id: string }[]>(
      `INSERT INTO department (code, name, district_id) VALUES ($1, $2, $3) RETURNING id`,
      [code, `${code} department`, district.id],
    );
    return { id: row.id, code, name: `${code} department`, districtId: district.id, districtCode: district.code };
  }

  async file(
    owner: DepartmentRef,
    classification: Classification,
    options: { category?: string; fields?: DataFieldRow[]; title?: string; tags?: string[]; updatedAt?: string } = {},
  ): Promise<WorldFile> {
    const id = randomUUID();
    const code = `f-${++this.counter}-${id.slice(0, 8)}`;
    const fields = options.fields ?? DEFAULT_FIELDS;
    const category = options.category ?? 'medical records';
    await this.db.transaction((tx) =>
      this.files.insertMany(tx, [
        {
          districtId: owner.districtId,
          id,
          code,
          title: options.title ?? `File ${code}`,
          description: null,
          ownerDepartmentId: owner.id,
          classification,
          category,
          tags: options.tags ?? [],
          format: 'table',
          updateFrequency: null,
          updatedAt: options.updatedAt,
          fields,
        },
      ]),
    );
    return { id, districtId: owner.districtId, ownerDepartmentId: owner.id, classification, category, code, fields };
  }

  /** A grant row written directly, for reading tests; grantPermission is tested through the service. */
  async grant(g: WorldGrant, districtIdOfFile?: string): Promise<string> {
    const id = randomUUID();
    const districtId = g.scope?.districtId ?? districtIdOfFile;
    if (!districtId) throw new Error('a file grant needs the file district');
    const validFrom = g.validFrom ?? new Date(Date.now() - 86_400_000);
    await this.db.query(
      `INSERT INTO permission (district_id, id, file_id, scope_category, scope_max_classification, grantee_department_id, action,
                               fields, purpose, valid_from, expires_at, granted_by, revoked_at, revoked_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, CASE WHEN $12::timestamptz IS NULL THEN NULL ELSE 'test' END)`,
      [
        districtId,
        id,
        g.fileId ?? null,
        g.scope?.category ?? null,
        g.scope?.maxClassification ?? null,
        g.grantee.id,
        g.action,
        g.fields ?? null,
        g.purpose ?? 'testing',
        validFrom,
        g.expiresAt ?? null,
        g.revokedAt ?? null,
        g.grantedBy ?? 'test',
      ],
    );
    return id;
  }
}

export const actorOf = (department: DepartmentRef, roles: Role[] = ['MEMBER'], subject = 'tester'): Actor => ({
  subject,
  roles,
  department,
});
