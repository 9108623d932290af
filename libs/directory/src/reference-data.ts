import type { DepartmentRef } from '@app/auth';
import type { DirectoryRepository } from './directory.repository.js';
import type { DepartmentRow, DistrictRow } from './directory.types.js';

export interface ReferenceSizes {
  districts: number;
  departments: number;
  /** Departments of the district that has the most. */
  largestDistrict: number;
}

interface Snapshot {
  at: number;
  districts: Map<string, DistrictRow>;
  departments: Map<string, DepartmentRow>;
  byCode: Map<string, DepartmentRef>;
  /** Each district's departments, by code: nested lists and query pricing read them per request. */
  byDistrict: Map<string, DepartmentRow[]>;
}

/**
 * Districts and departments change only through migrations, yet every request
 * needs them: they are read whole (a few hundred rows) and kept for `ttlMs`.
 * A code or id not in the snapshot refreshes it at once, so a district
 * onboarded on another replica is seen on first use.
 */
export class ReferenceData {
  private snapshot?: Promise<Snapshot>;

  constructor(
    private readonly repository: DirectoryRepository,
    private readonly ttlMs = 60_000,
  ) {}

  private load(): Promise<Snapshot> {
    const loading = (async () => {
      const [districts, departments] = await Promise.all([this.repository.districts(), this.repository.departments()]);
      const districtById = new Map(districts.map((d) => [d.id, d]));
      const byDistrict = new Map<string, DepartmentRow[]>();
      for (const d of [...departments].sort((a, b) => a.code.localeCompare(b.code))) {
        const list = byDistrict.get(d.districtId) ?? [];
        if (!list.length) byDistrict.set(d.districtId, list);
        list.push(d);
      }
      return {
        at: Date.now(),
        byDistrict,
        districts: districtById,
        departments: new Map(departments.map((d) => [d.id, d])),
        byCode: new Map(
          departments.map((d) => [
            d.code,
            { id: d.id, code: d.code, name: d.name, districtId: d.districtId, districtCode: districtById.get(d.districtId)!.code },
          ]),
        ),
      };
    })();
    this.snapshot = loading;
    loading.catch(() => (this.snapshot = undefined));
    return loading;
  }

  private async current(): Promise<Snapshot> {
    const snapshot = await (this.snapshot ?? this.load());
    return Date.now() - snapshot.at > this.ttlMs ? this.load() : snapshot;
  }

  /** Looks up in the snapshot, refreshing it once when something is missing. */
  private async lookup<T>(find: (s: Snapshot) => T | undefined): Promise<T | undefined> {
    return find(await this.current()) ?? find(await this.load());
  }

  district(code: string): Promise<DistrictRow | undefined> {
    return this.lookup((s) => [...s.districts.values()].find((d) => d.code === code));
  }

  department(code: string): Promise<DepartmentRef | undefined> {
    return this.lookup((s) => s.byCode.get(code));
  }

  async departmentsByIds(ids: readonly string[]): Promise<(DepartmentRow | undefined)[]> {
    const s = (await this.lookup((x) => (ids.every((id) => x.departments.has(id)) ? x : undefined))) ?? (await this.current());
    return ids.map((id) => s.departments.get(id));
  }

  /** The departments of a district, by code, from the snapshot: nested lists cost no query. */
  async departmentsOf(districtId: string): Promise<DepartmentRow[]> {
    return (await this.current()).byDistrict.get(districtId) ?? [];
  }

  /** How long the reference lists are: what a query selecting them may cost. */
  async sizes(): Promise<ReferenceSizes> {
    const s = await this.current();
    return {
      districts: s.districts.size,
      departments: s.departments.size,
      largestDistrict: Math.max(0, ...[...s.byDistrict.values()].map((list) => list.length)),
    };
  }

  /** The districts of these codes, those that exist, refreshing the snapshot once when one is missing. */
  async districtsByCodes(codes: readonly string[]): Promise<DistrictRow[]> {
    const find = (s: Snapshot) => codes.map((code) => [...s.districts.values()].find((d) => d.code === code));
    const found = (await this.lookup((s) => (find(s).every(Boolean) ? s : undefined))) ?? (await this.current());
    return find(found).filter((d): d is DistrictRow => d !== undefined);
  }

  async districtsByIds(ids: readonly string[]): Promise<(DistrictRow | undefined)[]> {
    const s = (await this.lookup((x) => (ids.every((id) => x.districts.has(id)) ? x : undefined))) ?? (await this.current());
    return ids.map((id) => s.districts.get(id));
  }
}
