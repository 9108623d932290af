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
      return {
        at: Date.now(),
        districts: districtById,
        departments: new Map(departments.map((d) => [d.id, d])),
        byCode: new Map(
          departments.map((d) => [d.code, { id: d.id, code: d.code, name: d.name, districtId: d.districtId, districtCode: districtById.get(d.districtId)!.code }]),
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

  department(code: string): Promise<DepartmentRef | undefined> {
    return this.lookup((s) => s.byCode.get(code));
  }

  async departmentsByIds(ids: readonly string[]): Promise<(DepartmentRow | undefined)[]> {
    const s = (await this.lookup((x) => (ids.every((id) => x.departments.has(id)) ? x : undefined))) ?? (await this.current());
    return ids.map((id) => s.departments.get(id));
  }

  /** The departments of a district, by code, from the snapshot: nested lists cost no query. */
  async departmentsOf(districtId: string): Promise<DepartmentRow[]> {
    const s = await this.current();
    return [...s.departments.values()].filter((d) => d.districtId === districtId).sort((a, b) => a.code.localeCompare(b.code));
  }

  /** How long the reference lists are: what a query selecting them may cost. */
  async sizes(): Promise<ReferenceSizes> {
    const s = await this.current();
    const perDistrict = new Map<string, number>();
    for (const d of s.departments.values()) perDistrict.set(d.districtId, (perDistrict.get(d.districtId) ?? 0) + 1);
    return { districts: s.districts.size, departments: s.departments.size, largestDistrict: Math.max(0, ...perDistrict.values()) };
  }

  async districtsByIds(ids: readonly string[]): Promise<(DistrictRow | undefined)[]> {
    const s = (await this.lookup((x) => (ids.every((id) => x.districts.has(id)) ? x : undefined))) ?? (await this.current());
    return ids.map((id) => s.districts.get(id));
  }
}
