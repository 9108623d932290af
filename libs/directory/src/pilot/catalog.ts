import type { FieldType } from '../directory.types.js';

type FieldSpec = readonly [name: string, type: FieldType, sensitive: boolean];

export interface CategorySpec {
  name: string;
  /** Owners are departments whose code contains one of these words. */
  ownerWords: readonly string[];
  titles: readonly string[];
  tags: readonly string[];
  fields: readonly FieldSpec[];
}

const COMMON: readonly FieldSpec[] = [
  ['record_id', 'string', false],
  ['created_on', 'date', false],
  ['updated_on', 'datetime', false],
  ['district_code', 'string', false],
  ['status', 'string', false],
  ['remarks', 'string', false],
];

/** The kinds of data a city's departments hold, with realistic schemas. */
export const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'medical records',
    ownerWords: ['health', 'hospital', 'disease', 'healthcare'],
    titles: ['Outpatient visit records', 'Inpatient discharge summaries', 'Vaccination registry', 'Chronic disease follow-up', 'Maternal and child health records', 'Infectious disease reports', 'Prescription dispensing log'],
    tags: ['health', 'patients', 'clinical', 'hospital', 'vaccination', 'epidemiology'],
    fields: [['patient_name', 'string', true], ['id_number', 'string', true], ['diagnosis_code', 'string', true], ['diagnosis', 'string', true], ['visit_date', 'date', false], ['hospital_name', 'string', false], ['department_name', 'string', false], ['attending_doctor', 'string', false], ['cost_total', 'number', false], ['insured', 'boolean', false], ['phone', 'string', true], ['age', 'integer', false]],
  },
  {
    name: 'property and assets',
    ownerWords: ['planning', 'housing', 'state-owned', 'finance', 'natural'],
    titles: ['Real estate registration', 'State-owned asset ledger', 'Land use rights', 'Building permits', 'Property transaction filings', 'Public housing allocation'],
    tags: ['property', 'land', 'assets', 'housing', 'registration'],
    fields: [['parcel_number', 'string', false], ['owner_name', 'string', true], ['owner_id_number', 'string', true], ['address', 'string', false], ['floor_area', 'number', false], ['assessed_value', 'number', true], ['registration_date', 'date', false], ['usage_type', 'string', false], ['mortgage', 'boolean', true]],
  },
  {
    name: 'vehicles and parking',
    ownerWords: ['transport', 'traffic', 'vehicle', 'city-management'],
    titles: ['Motor vehicle registry', 'Parking permits', 'Traffic violations', 'Public parking occupancy', 'Taxi operator licences', 'Electric vehicle charging points'],
    tags: ['vehicles', 'parking', 'traffic', 'mobility'],
    fields: [['plate_number', 'string', true], ['vehicle_type', 'string', false], ['owner_name', 'string', true], ['vin', 'string', true], ['registration_date', 'date', false], ['fuel_type', 'string', false], ['parking_lot', 'string', false], ['occupancy_rate', 'number', false], ['fine_amount', 'number', false], ['violation_count', 'integer', false]],
  },
  {
    name: 'household registration',
    ownerWords: ['public-security', 'civil-affairs', 'statistics'],
    titles: ['Household register (hukou)', 'Residence permits', 'Population movement', 'Birth registrations', 'Marriage registrations', 'Death registrations'],
    tags: ['population', 'residents', 'hukou', 'civil'],
    fields: [['full_name', 'string', true], ['id_number', 'string', true], ['gender', 'string', false], ['birth_date', 'date', true], ['household_number', 'string', true], ['address', 'string', true], ['ethnicity', 'string', true], ['registration_type', 'string', false], ['moved_in_on', 'date', false]],
  },
  {
    name: 'enterprise registry',
    ownerWords: ['market', 'commerce', 'tax', 'economy', 'intellectual'],
    titles: ['Business licence registry', 'Enterprise annual reports', 'Tax registration', 'Trademark filings', 'Food business permits', 'Abnormal operations list'],
    tags: ['enterprises', 'business', 'licences', 'tax', 'market'],
    fields: [['credit_code', 'string', false], ['enterprise_name', 'string', false], ['legal_representative', 'string', true], ['registered_capital', 'number', false], ['founded_on', 'date', false], ['industry_code', 'string', false], ['employee_count', 'integer', false], ['annual_revenue', 'number', true], ['tax_paid', 'number', true]],
  },
  {
    name: 'social insurance',
    ownerWords: ['social', 'human-resources', 'provident', 'healthcare-security', 'veterans', 'disabled'],
    titles: ['Pension contributions', 'Unemployment benefits', 'Work injury claims', 'Medical insurance settlements', 'Housing provident fund accounts', 'Subsidy payments'],
    tags: ['insurance', 'pension', 'benefits', 'employment'],
    fields: [['insured_name', 'string', true], ['id_number', 'string', true], ['employer', 'string', false], ['contribution_base', 'number', true], ['contribution_months', 'integer', false], ['benefit_amount', 'number', true], ['bank_account', 'string', true], ['enrolled_on', 'date', false]],
  },
  {
    name: 'education',
    ownerWords: ['education', 'sports', 'science'],
    titles: ['School enrolment', 'Teacher qualifications', 'Student health screening', 'Examination results', 'School facilities inventory'],
    tags: ['education', 'schools', 'students'],
    fields: [['student_name', 'string', true], ['student_number', 'string', true], ['school_name', 'string', false], ['grade', 'integer', false], ['guardian_phone', 'string', true], ['score', 'number', true], ['enrolled_on', 'date', false]],
  },
  {
    name: 'environment',
    ownerWords: ['ecology', 'water', 'landscape', 'meteorological', 'agriculture'],
    titles: ['Air quality monitoring', 'Water quality stations', 'Pollution source registry', 'Noise monitoring', 'Green space inventory', 'Rainfall observations'],
    tags: ['environment', 'air', 'water', 'monitoring', 'open-data'],
    fields: [['station_code', 'string', false], ['station_name', 'string', false], ['measured_at', 'datetime', false], ['pm25', 'number', false], ['pm10', 'number', false], ['water_level', 'number', false], ['latitude', 'number', false], ['longitude', 'number', false], ['operator_contact', 'string', true]],
  },
  {
    name: 'public safety',
    ownerWords: ['emergency', 'fire', 'civil-defense', 'justice', 'prison', 'drug'],
    titles: ['Emergency incident log', 'Fire inspection records', 'Hazardous chemicals registry', 'Shelter capacity', 'Community correction cases'],
    tags: ['safety', 'emergency', 'incidents', 'inspections'],
    fields: [['incident_number', 'string', false], ['occurred_at', 'datetime', false], ['location', 'string', false], ['severity', 'integer', false], ['casualties', 'integer', true], ['responsible_person', 'string', true], ['inspector', 'string', false], ['passed', 'boolean', false]],
  },
  {
    name: 'administration',
    ownerWords: [''],
    titles: ['Administrative licensing records', 'Government service requests', 'Budget execution', 'Procurement contracts', 'Official documents index', 'Staff directory', 'Archive catalogue'],
    tags: ['administration', 'services', 'budget', 'procurement'],
    fields: [['case_number', 'string', false], ['applicant_name', 'string', true], ['applicant_phone', 'string', true], ['service_item', 'string', false], ['submitted_on', 'date', false], ['completed_on', 'date', false], ['amount', 'number', false], ['handler', 'string', false]],
  },
];

export const COMMON_FIELDS = COMMON;
export const FORMATS = ['table', 'csv', 'api', 'spreadsheet', 'geojson'] as const;
export const FREQUENCIES = ['real-time', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', null] as const;
export const QUALIFIERS = ['2022', '2023', '2024', '2025', 'archive', 'monthly extract', 'city-wide', 'north area', 'south area', 'pilot zone'] as const;
