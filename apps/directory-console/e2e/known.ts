/** The data the stories rely on, registered by serve.ts through the API. */
export const CONSOLE_E2E_PORT = 3210;

export const KNOWN = {
  /** Owns the known files; its steward approves. */
  owner: 'beijing-health-commission',
  /** A department in another district: sees PUBLIC files, nothing else without a grant. */
  member: 'chaoyang-civil-affairs-bureau',
  files: [
    {
      register: {
        code: 'e2e-vaccination-records',
        title: 'Childhood vaccination records',
        description: 'Every vaccination given at a city clinic, one row per dose.',
        classification: 'PUBLIC',
        category: 'medical records',
        tags: ['vaccination', 'children'],
        format: 'table',
        updateFrequency: 'daily',
        fields: [
          { name: 'record_id', type: 'string' },
          { name: 'clinic', type: 'string' },
          { name: 'vaccine', type: 'string' },
          { name: 'dose_date', type: 'date' },
          { name: 'patient_name', type: 'string', sensitive: true },
        ],
      },
      records: [
        { record_id: 'r-1', clinic: 'Dongcheng No. 2', vaccine: 'MMR', dose_date: '2026-03-02', patient_name: 'Li Wei' },
        { record_id: 'r-2', clinic: 'Chaoyang Central', vaccine: 'DTaP', dose_date: '2026-03-04', patient_name: 'Zhang Min' },
        { record_id: 'r-3', clinic: 'Haidian West', vaccine: 'Polio', dose_date: '2026-03-09', patient_name: 'Wang Fang' },
      ],
    },
    {
      register: {
        code: 'e2e-clinic-capacity',
        title: 'Clinic bed capacity',
        description: 'Beds, staff and occupancy per clinic, updated weekly.',
        classification: 'RESTRICTED',
        category: 'health services',
        tags: ['capacity', 'clinics'],
        format: 'table',
        updateFrequency: 'weekly',
        fields: [
          { name: 'clinic', type: 'string' },
          { name: 'beds', type: 'integer' },
          { name: 'occupancy', type: 'number' },
          { name: 'head_nurse', type: 'string', sensitive: true },
        ],
      },
      records: [{ clinic: 'Dongcheng No. 2', beds: 40, occupancy: 0.82, head_nurse: 'Chen Jing' }],
    },
  ],
} as const;
