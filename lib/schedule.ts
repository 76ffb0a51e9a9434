/**
 * EventBridge schedule expressions, checked at synth time so a typo fails
 * `cdk synth` instead of the CloudFormation deployment.
 */

/** Nightly at 03:00 UTC. */
export const DEFAULT_SCHEDULE = 'cron(0 3 * * ? *)';
/** Watch polls (a few minutes between a grant and its alert); `off` disables them. */
export const DEFAULT_WATCH_SCHEDULE = 'rate(5 minutes)';
export const WATCH_OFF = 'off';

const RATE_UNITS_MINUTES: Readonly<Record<string, number>> = {
  minute: 1,
  minutes: 1,
  hour: 60,
  hours: 60,
  day: 24 * 60,
  days: 24 * 60,
};

/**
 * One regex per cron field, in EventBridge's order: minutes, hours,
 * day-of-month, month, day-of-week, year. They accept the characters each field
 * allows (`, - * / ? L W #` and names); numeric ranges are checked separately.
 */
const CRON_FIELDS: readonly {
  readonly name: string;
  readonly pattern: RegExp;
  readonly max: number;
  readonly min: number;
}[] = [
  { name: 'minutes', pattern: /^[0-9,*/-]+$/, min: 0, max: 59 },
  { name: 'hours', pattern: /^[0-9,*/-]+$/, min: 0, max: 23 },
  { name: 'day-of-month', pattern: /^(\?|L|[0-9,*/LW-]+)$/, min: 1, max: 31 },
  {
    name: 'month',
    pattern: /^([0-9,*/-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)+$/i,
    min: 1,
    max: 12,
  },
  { name: 'day-of-week', pattern: /^([0-9,*/?L#-]|SUN|MON|TUE|WED|THU|FRI|SAT)+$/i, min: 1, max: 7 },
  { name: 'year', pattern: /^[0-9,*/-]+$/, min: 1970, max: 2199 },
];

/** A schedule expression, parsed enough to reason about how often it fires. */
export type ParsedSchedule =
  | { readonly kind: 'rate'; readonly expression: string; readonly intervalMinutes: number }
  | {
      readonly kind: 'cron';
      readonly expression: string;
      /** True when the day fields (day-of-month, month, day-of-week, year) select every day. */
      readonly runsEveryDay: boolean;
    };

/**
 * Parses `cron(...)` (six fields) or `rate(N unit)`. Returns the reason the
 * expression is invalid as a string, so callers can name their own setting.
 */
export function parseSchedule(expression: string): ParsedSchedule | string {
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    const unitMinutes = RATE_UNITS_MINUTES[unit];
    if (unitMinutes === undefined) return `unknown rate unit "${unit}" (use minute(s), hour(s) or day(s))`;
    if (value < 1) return 'a rate must be at least 1';
    // EventBridge rejects "rate(1 days)" and "rate(2 day)".
    if ((value === 1) !== !unit.endsWith('s')) {
      return value === 1
        ? `use the singular unit: rate(1 ${unit.replace(/s$/, '')})`
        : `use the plural unit: rate(${value} ${unit}s)`;
    }
    return { kind: 'rate', expression, intervalMinutes: value * unitMinutes };
  }

  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 'must be a cron(...) or rate(...) expression, such as cron(0 3 * * ? *) or rate(1 day)';
  const fields = (cron[1] ?? '').split(' ');
  if (fields.length !== 6 || fields.some((field) => field === '')) {
    return 'a cron expression has six fields separated by single spaces: minutes hours day-of-month month day-of-week year';
  }
  for (const [index, spec] of CRON_FIELDS.entries()) {
    const field = fields[index] ?? '';
    if (!spec.pattern.test(field)) return `cron ${spec.name} field "${field}" is not valid`;
    for (const number of field.split(/[^0-9]+/).filter((n) => n !== '')) {
      // After "/" a number is an increment, after "#" an occurrence: only plain values are range-checked.
      const value = Number(number);
      if (value > spec.max || (value < spec.min && !field.includes('/') && !field.includes('#'))) {
        return `cron ${spec.name} field "${field}" is out of range ${spec.min}-${spec.max}`;
      }
    }
  }
  const [, , dayOfMonth, month, dayOfWeek, year] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'a cron expression needs "?" in exactly one of day-of-month and day-of-week, such as cron(0 3 * * ? *)';
  }
  const everyDay = (field: string | undefined) => field === '*' || field === '?';
  return {
    kind: 'cron',
    expression,
    runsEveryDay: everyDay(dayOfMonth) && everyDay(month) && everyDay(dayOfWeek) && everyDay(year),
  };
}
