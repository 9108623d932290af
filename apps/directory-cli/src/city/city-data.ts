import { generatePilotFiles, generatePilotGrants, PILOT_DEFAULTS, Prng, type NewFile } from '@app/directory';
import type { DistrictPlan } from './city-plan.js';

export interface CityDepartment {
  id: string;
  code: string;
  district_id: string;
  district_code: string;
}

export type CityGrant = ReturnType<typeof generatePilotGrants>[number];

const optionsOf = (plan: DistrictPlan) => ({ districtCode: plan.code, files: plan.files, permissions: plan.permissions, seed: plan.seed });

/**
 * A district's files, made by the pilot's generator (same categories, schemas,
 * owners weighted by size, timestamps) from the district's own seed, then
 * given the district's classification mix. The pilot district is left exactly
 * as `seed` makes it.
 */
export function districtFiles(plan: DistrictPlan, departments: CityDepartment[]): NewFile[] {
  const own = departments.filter((d) => d.district_code === plan.code);
  const files = generatePilotFiles(own, optionsOf(plan));
  if (plan.pilot) return files;
  const rng = new Prng(plan.seed ^ 0xc1a5);
  for (const file of files) file.classification = rng.weighted(plan.mix);
  return files;
}

/**
 * A district's grants on its own files, by the pilot's generator. Grantees are
 * drawn from a pool in which the district's own departments are repeated so
 * that about `crossDistrict` of the grants go to other districts. The pilot
 * district draws from every department, as `seed` does.
 */
export function districtGrants(plan: DistrictPlan, files: NewFile[], departments: CityDepartment[]): CityGrant[] {
  if (plan.pilot) return generatePilotGrants(files, departments, optionsOf(plan));
  const own = departments.filter((d) => d.district_code === plan.code);
  const others = departments.filter((d) => d.district_code !== plan.code);
  const repeat = Math.max(1, Math.round(((1 - plan.crossDistrict) * others.length) / (plan.crossDistrict * own.length)));
  const pool = [...Array.from({ length: repeat }, () => own).flat(), ...others];
  return generatePilotGrants(files, pool, optionsOf(plan)).map((g) => ({
    ...g,
    granted_by: g.granted_by.replace('pilot-seed@', 'city-seed@'),
    revoked_by: g.revoked_by?.replace('pilot-seed@', 'city-seed@') ?? null,
  }));
}

/** Who registered a district's files in the audit ledger. */
export const seederOf = (plan: DistrictPlan, ownerCode: string) => `${plan.pilot ? 'pilot-seed' : 'city-seed'}@${ownerCode}`;

export const isPilot = (code: string) => code === PILOT_DEFAULTS.districtCode;
