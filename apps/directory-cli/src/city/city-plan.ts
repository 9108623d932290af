import { PILOT_DEFAULTS } from '@app/directory';

/** The whole city at full scale: the municipal pilot plus every onboarded district. */
export const CITY_TOTALS = { files: 750_000, permissions: 136_000 };

type Mix = [classification: 'PUBLIC' | 'INTERNAL' | 'RESTRICTED' | 'CONFIDENTIAL', weight: number][];

/** The two central districts hold the city's own administration: more guarded than the rest. */
const CENTRAL_MIX: Mix = [
  ['PUBLIC', 18],
  ['INTERNAL', 42],
  ['RESTRICTED', 28],
  ['CONFIDENTIAL', 12],
];

/**
 * How much data a district holds relative to the others (roughly its
 * population and administrative load), and how guarded it is. Districts
 * onboarded after this table was written get weight 1 and the default mix.
 */
const PROFILES: Record<string, { weight: number; mix?: Mix; crossDistrict?: number }> = {
  chaoyang: { weight: 1.7, crossDistrict: 0.4 },
  haidian: {
    weight: 1.6,
    mix: [
      ['PUBLIC', 20],
      ['INTERNAL', 40],
      ['RESTRICTED', 28],
      ['CONFIDENTIAL', 12],
    ],
    crossDistrict: 0.4,
  },
  fengtai: { weight: 1.2 },
  changping: { weight: 1.2 },
  daxing: { weight: 1.1 },
  tongzhou: { weight: 1.1, crossDistrict: 0.45 },
  xicheng: {
    weight: 0.9,
    mix: CENTRAL_MIX,
    crossDistrict: 0.45,
  },
  dongcheng: {
    weight: 0.9,
    mix: CENTRAL_MIX,
    crossDistrict: 0.45,
  },
  shunyi: { weight: 0.9 },
  fangshan: { weight: 0.9 },
  shijingshan: { weight: 0.6 },
  mentougou: {
    weight: 0.5,
    mix: [
      ['PUBLIC', 35],
      ['INTERNAL', 40],
      ['RESTRICTED', 18],
      ['CONFIDENTIAL', 7],
    ],
  },
  huairou: {
    weight: 0.5,
    mix: [
      ['PUBLIC', 35],
      ['INTERNAL', 40],
      ['RESTRICTED', 18],
      ['CONFIDENTIAL', 7],
    ],
  },
  pinggu: {
    weight: 0.5,
    mix: [
      ['PUBLIC', 35],
      ['INTERNAL', 40],
      ['RESTRICTED', 18],
      ['CONFIDENTIAL', 7],
    ],
  },
  miyun: {
    weight: 0.5,
    mix: [
      ['PUBLIC', 32],
      ['INTERNAL', 42],
      ['RESTRICTED', 19],
      ['CONFIDENTIAL', 7],
    ],
  },
  yanqing: {
    weight: 0.4,
    mix: [
      ['PUBLIC', 35],
      ['INTERNAL', 40],
      ['RESTRICTED', 18],
      ['CONFIDENTIAL', 7],
    ],
  },
};

const DEFAULT_MIX: Mix = [
  ['PUBLIC', 25],
  ['INTERNAL', 40],
  ['RESTRICTED', 25],
  ['CONFIDENTIAL', 10],
];
/** Share of a district's grants that go to departments of other districts (the rest stay within it). */
const DEFAULT_CROSS_DISTRICT = 0.3;

export interface DistrictPlan {
  code: string;
  files: number;
  permissions: number;
  /** Seeds the district's generator: a district's data does not depend on which others exist. */
  seed: number;
  mix: Mix;
  crossDistrict: number;
  /** The pilot district is loaded exactly as `seed` loads it. */
  pilot: boolean;
}

/** A number from a name, so each district's generator has its own stable seed. */
function seedOf(code: string): number {
  let h = 2_166_136_261;
  for (const c of code) h = Math.imul(h ^ c.charCodeAt(0), 16_777_619);
  return (h ^ PILOT_DEFAULTS.seed) >>> 0;
}

/**
 * Splits the city's totals over the districts: the pilot keeps its own size,
 * the rest is shared by weight. `scale` shrinks everything alike (tests).
 */
export function planCity(districtCodes: string[], scale = 1): DistrictPlan[] {
  const others = districtCodes.filter((c) => c !== PILOT_DEFAULTS.districtCode).sort();
  const weightOf = (code: string) => PROFILES[code]?.weight ?? 1;
  const totalWeight = others.reduce((s, c) => s + weightOf(c), 0);
  const share = (total: number, pilot: number, code: string) => Math.round(((total - pilot) * weightOf(code) * scale) / totalWeight);
  const plans: DistrictPlan[] = [];
  if (districtCodes.includes(PILOT_DEFAULTS.districtCode)) {
    plans.push({
      code: PILOT_DEFAULTS.districtCode,
      files: Math.round(PILOT_DEFAULTS.files * scale),
      permissions: Math.round(PILOT_DEFAULTS.permissions * scale),
      seed: PILOT_DEFAULTS.seed,
      mix: DEFAULT_MIX,
      crossDistrict: 1,
      pilot: true,
    });
  }
  for (const code of others) {
    plans.push({
      code,
      files: share(CITY_TOTALS.files, PILOT_DEFAULTS.files, code),
      permissions: share(CITY_TOTALS.permissions, PILOT_DEFAULTS.permissions, code),
      seed: seedOf(code),
      mix: PROFILES[code]?.mix ?? DEFAULT_MIX,
      crossDistrict: PROFILES[code]?.crossDistrict ?? DEFAULT_CROSS_DISTRICT,
      pilot: false,
    });
  }
  return plans;
}
