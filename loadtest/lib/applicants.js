// Applicant generator: any number of unique, structurally valid applicants,
// derived deterministically from (run seed, index) without a data file.
//
// The NIK's birth date, sex, province and serial are the mixed-radix digits of
// a 32-bit bijection of the iteration index, so distinct indices give distinct
// NIKs within a run, and consecutive iterations spread over the whole
// population instead of only incrementing the serial. Every NIK it makes is
// valid, so the registry simulator (which answers from any valid NIK) has each
// applicant in its population.

export const PROVINCES = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
  61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97,
];

export const EMPLOYMENT = [
  // [status, cumulative weight]: mostly people who lost income.
  ['laid_off', 0.35],
  ['furloughed', 0.55],
  ['micro_business_lost_income', 0.7],
  ['job_seeker', 0.95],
  ['employed', 1.0],
];

const FIRST = [
  'Siti', 'Budi', 'Dewi', 'Agus', 'Sri', 'Eko', 'Rina', 'Andi', 'Putri', 'Joko',
  'Nur', 'Rizky', 'Ayu', 'Bayu', 'Indah', 'Hendra', 'Wulan', 'Fajar', 'Lestari', 'Yusuf',
];
const LAST = [
  'Rahayu', 'Santoso', 'Wijaya', 'Saputra', 'Lestari', 'Hidayat', 'Kusuma', 'Pratama',
  "Ma'ruf", 'Nasution', 'Siregar', 'Hutapea', 'Wibowo', 'Setiawan', 'Gunawan', 'Halim',
];

// Days between 1962-01-01 and the latest birth date used (~2005-10): every
// applicant is comfortably over 18 and born after 1900.
const BIRTH_DAYS = 16000;
const EPOCH_1962 = Date.UTC(1962, 0, 1);
const DAY_MS = 86400000;

/** murmur3's 32-bit finaliser: a bijection on [0, 2^32). */
export function permute32(x) {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A well-mixed 32-bit hash of two integers. */
export function hash2(a, b) {
  return permute32((permute32(a) ^ Math.imul(b >>> 0, 0x9e3779b1)) >>> 0);
}

/** A deterministic fraction in [0, 1) for (seed, index, salt). */
export function fraction(seed, index, salt) {
  return hash2(hash2(seed, salt), index) / 4294967296;
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/**
 * The applicant number `index` (0 <= index < 2^32) of the run `seed`.
 * Returns the JSON body for POST /v1/registrations.
 */
export function applicantAt(seed, index, wave) {
  // x is a bijection of index, so (birth date, sex, province, serial) taken
  // from its mixed-radix digits are unique within a run. The seed enters both
  // x and the region digits, so separate runs (the store may keep NIKs unique
  // across waves) practically never meet the same person.
  const x = permute32((index ^ permute32(seed)) >>> 0);
  const dateAndSex = x % (2 * BIRTH_DAYS);
  const rest = Math.floor(x / (2 * BIRTH_DAYS));
  const province = PROVINCES[rest % PROVINCES.length];
  const serial = 1 + Math.floor(rest / PROVINCES.length); // 1..3442, never 0000
  const region = hash2(seed, index) % 10000; // regency + district codes
  const female = dateAndSex % 2 === 1;
  const birth = new Date(EPOCH_1962 + Math.floor(dateAndSex / 2) * DAY_MS);

  const day = birth.getUTCDate();
  const month = birth.getUTCMonth() + 1;
  const year = birth.getUTCFullYear();
  const nik =
    pad(province, 2) + pad(region, 4) + pad(female ? day + 40 : day, 2) +
    pad(month, 2) + pad(year % 100, 2) + pad(serial, 4);

  const h = hash2(seed ^ 0x5bd1e995, index);
  const first = FIRST[h % FIRST.length];
  const last = LAST[(h >>> 8) % LAST.length];
  const r = fraction(seed, index, 7);
  const employment = EMPLOYMENT.find(([, w]) => r < w)[0];
  return {
    nik,
    kk_number: pad(province, 2) + pad(region, 4) + pad(hash2(h, 1) % 10000000000, 10),
    full_name: `${first} ${last}`,
    birth_date: `${year}-${pad(month, 2)}-${pad(day, 2)}`,
    email: `${first.toLowerCase()}.${pad(h % 100000, 5)}@example.id`,
    phone: `+62812${pad(hash2(h, 2) % 100000000, 8)}`,
    employment_status: employment,
    in_education: fraction(seed, index, 11) < 0.02,
    wave,
  };
}

/**
 * Ways to make a submission invalid, each with the field the gateway's 422
 * must name (`null` where more than one field may be named).
 */
export const INVALID_KINDS = [
  ['nik_length', 'nik', (a) => ({ ...a, nik: a.nik.slice(0, 15) })],
  ['nik_province', 'nik', (a) => ({ ...a, nik: '99' + a.nik.slice(2) })],
  ['kk_letters', 'kk_number', (a) => ({ ...a, kk_number: a.kk_number.slice(0, 15) + 'x' })],
  ['birth_date_mismatch', null, (a) => ({ ...a, birth_date: shiftYear(a.birth_date) })],
  ['email', 'email', (a) => ({ ...a, email: a.email.replace('@', '.') })],
  ['phone_landline', 'phone', (a) => ({ ...a, phone: '0215551234' })],
  ['employment', 'employment_status', (a) => ({ ...a, employment_status: 'astronaut' })],
  ['name_too_short', 'full_name', (a) => ({ ...a, full_name: 'X' })],
];

function shiftYear(date) {
  // A year earlier still parses as a date, but no longer agrees with the NIK.
  return `${Number(date.slice(0, 4)) - 1}${date.slice(4)}`;
}

/** An invalid variant of applicant `index`: [kind, expected field, body]. */
export function invalidAt(seed, index, wave) {
  const [kind, field, spoil] = INVALID_KINDS[hash2(seed, index) % INVALID_KINDS.length];
  return [kind, field, spoil(applicantAt(seed, index, wave))];
}
