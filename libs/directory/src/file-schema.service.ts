import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { lockFileSchema, GrantService, type AccessPolicy } from '@app/access';
import { AuditLog } from '@app/audit';
import { actorName } from '@app/auth';
import { ANY_DISTRICT, badInput, forbidden } from '@app/common';
import { DirectoryService, FIELD_NAME, MAX_FIELDS_PER_FILE } from './directory.service.js';
import { FIELD_TYPES, type DataFieldRow, type DataFileRow, type FieldType } from './directory.types.js';

/** At most this many field changes in one schema change: each field of a file (200 at most) changes at most its type, sensitivity and description. */
export const MAX_FIELD_CHANGES = 3 * MAX_FIELDS_PER_FILE;

export interface NewFieldInput {
  name: string;
  type: string;
  sensitive?: boolean | null;
  description?: string | null;
}

/** What to change of an existing field; what is left out stays as it is. */
export interface FieldAlterationInput {
  name: string;
  type?: string | null;
  sensitive?: boolean | null;
  description?: string | null;
}

export interface SchemaChangeInput {
  fileId: string;
  addFields?: NewFieldInput[] | null;
  alterFields?: FieldAlterationInput[] | null;
  /** Why, for the grant holders told of the change and for the audit log. */
  note?: string | null;
}

/** One field's change, as the audit entry records it. */
export interface FieldChange {
  field: string;
  change: 'added' | 'type' | 'sensitive' | 'description';
  from: string | boolean | null;
  to: string | boolean | null;
}

export interface SchemaChangeOutcome {
  file: DataFileRow;
  schemaVersion: number;
  changes: FieldChange[];
  /** How many grants now hold fields for a steward's review. */
  grantsHeld: number;
}

/**
 * Whether a change alters what a grant decided on: a field's values read
 * differently (its type) or become protected (marked sensitive). Unmarking
 * sensitivity and rewording a description loosen or describe; they hold nothing.
 */
const holdsGrants = (c: FieldChange): boolean => c.change === 'type' || (c.change === 'sensitive' && c.to === true);

const describe = (c: FieldChange): string =>
  c.change === 'added'
    ? `${c.field} added (${String(c.to)})`
    : c.change === 'type'
      ? `${c.field}: type ${String(c.from)} → ${String(c.to)}`
      : c.change === 'sensitive'
        ? `${c.field}: ${c.to ? 'marked sensitive' : 'no longer sensitive'}`
        : `${c.field}: description changed`;

/**
 * The owner changes a file's schema: adds fields, changes a field's type,
 * marks a field sensitive (or not), rewords a description. Each change makes
 * the next schema version, and reaches the grants in the same transaction:
 * those whose fields it touched hold them for review (libs/access decides
 * which). The change and every grant held are audited together, last.
 */
@Injectable()
export class FileSchemaService {
  constructor(
    private readonly db: DataSource,
    private readonly directory: DirectoryService,
    private readonly permissions: GrantService,
    private readonly audit: AuditLog,
  ) {}

  async change(caller: AccessPolicy, input: SchemaChangeInput): Promise<SchemaChangeOutcome> {
    // Fans out: the file's id comes from the client, without its district.
    const visible = await this.directory.discoverableFile(caller, ANY_DISTRICT, input.fileId);
    if (!caller.may('register', visible)) throw forbidden("only a steward of the owning department changes a file's schema");
    const request = checkRequest(input);
    return this.db.transaction(async (tx) => {
      // Grants being decided on the file finish first, on the schema they read; later ones wait for this change.
      await lockFileSchema(tx, visible.id, 'change');
      // Locked first, then read: two changes of one file take turns, each on the schema the other left.
      const current = await this.directory.lockSchemaVersion(tx, visible);
      const file = { ...visible, fields: await this.directory.fieldsOf(visible, tx) };
      const { added, altered, changes } = plan(file.fields, request);
      const schemaVersion = current + 1;
      await this.directory.writeSchemaChange(tx, file, added, altered, schemaVersion);
      const summary = changes.map(describe).join('; ');
      const note = request.note ? `${summary} (${request.note})` : summary;
      const who = actorName(caller.actor);
      const held = await this.permissions.holdForSchemaChange(tx, caller.actor, file, {
        schemaVersion,
        fieldsBefore: file.fields.map((f) => f.name),
        touched: [...new Set(changes.filter(holdsGrants).map((c) => c.field))],
        added: added.map((f) => f.name),
        summary,
      });
      const changed = (await this.directory.readFile(tx, file))!;
      const fields = await this.directory.fieldsOf(file, tx);
      await this.audit.append(tx, [
        {
          ledger: file.districtCode,
          actor: who,
          action: 'file.schema_changed',
          subjectType: 'DataFile',
          subjectId: file.id,
          parties: [file.ownerCode],
          payload: {
            schemaVersion,
            previousSchemaVersion: current,
            changes,
            fields: fields.map((f) => ({ name: f.name, type: f.type, sensitive: f.sensitive })),
            grantsHeld: held.length,
            note,
          },
        },
        ...held,
      ]);
      return { file: changed, schemaVersion, changes, grantsHeld: held.length };
    });
  }
}

interface CheckedRequest {
  add: DataFieldRow[];
  alter: FieldAlterationInput[];
  note: string | null;
}

const isFieldType = (t: string | null | undefined): t is FieldType => (FIELD_TYPES as readonly string[]).includes(t ?? '');

/** What can be checked before reading the file: names, types, repetitions. */
function checkRequest(input: SchemaChangeInput): CheckedRequest {
  const addFields = input.addFields ?? [];
  const alterFields = input.alterFields ?? [];
  if (addFields.length + alterFields.length === 0) throw badInput('name at least one field to add or alter');
  const seen = new Set<string>();
  const once = (name: string, where: string) => {
    if (seen.has(name)) throw badInput(`${where}.name "${name}" appears twice in this change`);
    seen.add(name);
  };
  const add = addFields.map((f, i): DataFieldRow => {
    const where = `addFields[${i}]`;
    if (!FIELD_NAME.test(f.name))
      throw badInput(`${where}.name "${f.name}" must be snake_case: a lowercase letter, then letters, digits or _`);
    once(f.name, where);
    if (!isFieldType(f.type)) throw badInput(`${where}.type must be one of ${FIELD_TYPES.join(', ')}`);
    return { name: f.name, type: f.type, sensitive: f.sensitive ?? false, description: f.description?.trim() || null };
  });
  const alter = alterFields.map((f, i) => {
    const where = `alterFields[${i}]`;
    once(f.name, where);
    if (f.type == null && f.sensitive == null && f.description === undefined)
      throw badInput(`${where} changes nothing: give a type, sensitive or a description`);
    if (f.type != null && !isFieldType(f.type)) throw badInput(`${where}.type must be one of ${FIELD_TYPES.join(', ')}`);
    return f;
  });
  return { add, alter, note: input.note?.trim() || null };
}

/** The change against the schema as it is: what to insert, what to update, and each field's change. */
function plan(schema: DataFieldRow[], request: CheckedRequest): { added: DataFieldRow[]; altered: DataFieldRow[]; changes: FieldChange[] } {
  const byName = new Map(schema.map((f) => [f.name, f]));
  const changes: FieldChange[] = [];
  for (const f of request.add) {
    if (byName.has(f.name)) throw badInput(`"${f.name}" is already a field of this file; alter it instead`);
    changes.push({ field: f.name, change: 'added', from: null, to: f.type });
  }
  if (schema.length + request.add.length > MAX_FIELDS_PER_FILE) throw badInput(`a file may have at most ${MAX_FIELDS_PER_FILE} fields`);
  const altered = request.alter.map((a, i) => {
    const before = byName.get(a.name);
    if (!before) throw badInput(`alterFields[${i}].name "${a.name}" is not a field of this file`);
    const after: DataFieldRow = {
      name: a.name,
      type: a.type != null && isFieldType(a.type) ? a.type : before.type,
      sensitive: a.sensitive ?? before.sensitive,
      description: a.description === undefined ? before.description : a.description?.trim() || null,
    };
    const own: FieldChange[] = [];
    if (after.type !== before.type) own.push({ field: a.name, change: 'type', from: before.type, to: after.type });
    if (after.sensitive !== before.sensitive) own.push({ field: a.name, change: 'sensitive', from: before.sensitive, to: after.sensitive });
    if (after.description !== before.description)
      own.push({ field: a.name, change: 'description', from: before.description, to: after.description });
    if (own.length === 0) throw badInput(`alterFields[${i}] changes nothing: "${a.name}" is already so`);
    changes.push(...own);
    return after;
  });
  return { added: request.add, altered, changes };
}
