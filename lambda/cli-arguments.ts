/**
 * The command line's grammar: every option, which command takes which, each one's help and
 * default, and the parse that holds a command line to them. An option a command does not take
 * is an error (`validate --enforce`), never silently ignored; a misspelled one or an unknown
 * command gets a "did you mean". The help (`checkpoint-guard audit --help`) is written from the
 * same table, so it cannot drift from what is accepted.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_BASE_URL, DEFAULT_RETRY_POLICY, DEFAULT_TIMEOUT_MS } from './adapters/openai/index.js';
import { DEFAULT_CONCURRENCY } from './core/audit.js';
import { didYouMean } from './core/did-you-mean.js';
import { CheckpointGuardError } from './core/errors.js';
import { TUNING_RANGES } from './setting-rules.js';

/** How long an audit may take, start to report, unless `--deadline` says otherwise. */
export const DEFAULT_DEADLINE = '30m';
/** Time between the starts of two watch polls, unless `--interval` says otherwise. */
export const DEFAULT_INTERVAL = '60s';

/** Every option of every command, as `node:util` parseArgs reads them. */
export const OPTIONS = {
  policy: { type: 'string' },
  enforce: { type: 'boolean', default: false },
  format: { type: 'string', default: 'text' },
  output: { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-retries': { type: 'string' },
  state: { type: 'string' },
  since: { type: 'string' },
  run: { type: 'string' },
  checkpoint: { type: 'string' },
  project: { type: 'string' },
  apply: { type: 'boolean', default: false },
  once: { type: 'boolean', default: false },
  interval: { type: 'string', default: DEFAULT_INTERVAL },
  deadline: { type: 'string', default: DEFAULT_DEADLINE },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Flags = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

/** Options every command takes. */
const GLOBAL_OPTIONS: readonly OptionName[] = ['debug', 'help'];

interface OptionHelp {
  /** The value's placeholder: `FILE`, `text|json`. Absent for a switch. */
  readonly value?: string;
  readonly text: string;
  /** What applies when the option is not given, when that is worth saying. */
  readonly default?: string;
}

const range = (r: { readonly min: number; readonly max: number }) => `${r.min} to ${r.max}`;

const OPTION_HELP: Readonly<Record<OptionName, OptionHelp>> = {
  policy: { value: 'FILE', text: 'the policy file, JSON or YAML (.yaml, .yml)' },
  enforce: {
    text: 'allow revocations: a run revokes only when this is given and the policy says "mode": "enforce"',
  },
  format: { value: 'text|json', text: 'the report format', default: 'text' },
  output: {
    value: 'FILE',
    text: 'write the report to FILE (replaced whole at the end) instead of stdout; the verdict line goes to stderr',
  },
  state: {
    value: 'LOCATION',
    text: 'the run store, a folder or s3://bucket/prefix: findings with a history, every report kept',
    default: 'none, no memory between runs',
  },
  since: {
    value: 'DATE',
    text: 'without --state: discovery reads the audit log from DATE on (2026-01-01, or an ISO 8601 time)',
    default: 'the whole history',
  },
  deadline: {
    value: 'DURATION',
    text: "the whole run's time, 1s to 24h (90s, 15m, 1h): no request starts after it",
    default: DEFAULT_DEADLINE,
  },
  concurrency: {
    value: 'N',
    text: `checkpoints listed at once, and most requests in flight, ${range(TUNING_RANGES.concurrency)}`,
    default: String(DEFAULT_CONCURRENCY),
  },
  'timeout-ms': {
    value: 'MS',
    text: `per-request timeout in milliseconds, ${range(TUNING_RANGES.timeoutMs)}`,
    default: String(DEFAULT_TIMEOUT_MS),
  },
  'max-retries': {
    value: 'N',
    text: `retries of a failed request (5xx, 408, 409, reset, timeout), ${range(TUNING_RANGES.maxRetries)}`,
    default: String(DEFAULT_RETRY_POLICY.maxRetries),
  },
  run: { value: 'RUN_ID', text: 'the run whose revocations to undo (see checkpoint-guard history)' },
  checkpoint: {
    value: 'ID',
    text: 'only the grants of this checkpoint',
    default: 'every one the run revoked on',
  },
  project: { value: 'ID', text: 'only the grants to this project', default: 'every one the run revoked' },
  apply: { text: 're-create the grants; without it, only say what would be re-created' },
  once: { text: 'one poll, then exit (for cron)', default: 'a poll every --interval until Ctrl-C' },
  interval: { value: 'DURATION', text: 'time between the starts of two polls', default: DEFAULT_INTERVAL },
  debug: { text: 'print stack traces of unexpected errors' },
  help: { text: "show this command's help" },
  version: { text: "print checkpoint-guard's version" },
};

interface CommandSpec {
  /** One line, for the list of commands. */
  readonly summary: string;
  /** The help's paragraph. */
  readonly description: string;
  /** The options it takes (the global ones aside), in the order the help lists them. */
  readonly options: readonly OptionName[];
  readonly required: readonly OptionName[];
  /** This command's wording of an option's help, where it differs. */
  readonly help?: Partial<Record<OptionName, Partial<OptionHelp>>>;
  /** It calls the OpenAI API: the help names the environment it reads. */
  readonly callsTheApi: boolean;
  /** What its exit codes mean. */
  readonly exitCodes: string;
}

const AUDIT_EXIT_CODES = `  0  clean: no unexpected grant
  1  unexpected grants found, also when an enforce run revoked every one of them
  2  the run failed or was incomplete, or the input was invalid`;

export const COMMANDS = {
  audit: {
    summary: 'check every grant of the checkpoints listed (and found shared); revoke with --enforce',
    description:
      'Lists every permission of every checkpoint the policy lists, and of every checkpoint the audit log shows was shared, and reports each grant the policy does not allow. Report mode changes nothing; a run revokes only with --enforce and "mode": "enforce" in the policy.',
    options: [
      'policy',
      'enforce',
      'format',
      'output',
      'state',
      'since',
      'deadline',
      'concurrency',
      'timeout-ms',
      'max-retries',
    ],
    required: ['policy'],
    callsTheApi: true,
    exitCodes: AUDIT_EXIT_CODES,
  },
  watch: {
    summary: 'catch new grants within minutes: polls of the audit log, until Ctrl-C',
    description:
      "Each poll reads the audit log's new grant and revocation events since the run store's cursor and re-lists only the checkpoints they touch, with the policy and safety rules of an audit. A quiet poll is one request.",
    options: ['policy', 'state', 'once', 'interval', 'enforce', 'format', 'deadline'],
    required: ['policy', 'state'],
    help: {
      state: { text: 'the run store, a folder or s3://bucket/prefix: it keeps the cursor', default: '' },
      deadline: { text: 'the longest one poll may take, 1s to 24h; never more than --interval' },
    },
    callsTheApi: true,
    exitCodes: `${AUDIT_EXIT_CODES}\n  (each poll's, like an audit's; the loop's is its last poll's)`,
  },
  history: {
    summary: 'the recorded runs, newest first, or the evidence page (--format html)',
    description:
      'One line per recorded run of the run store, newest first, read from its monthly index; html is the evidence page: findings over time, the runs, every revocation with its undo command, the open findings.',
    options: ['state', 'since', 'format', 'output'],
    required: ['state'],
    help: {
      state: { default: '' },
      since: { text: 'only the runs from DATE on (2026-01-01, or an ISO 8601 time)', default: 'every run' },
      format: { value: 'text|json|csv|html' },
      output: { text: 'write to FILE (replaced whole at the end) instead of stdout' },
    },
    callsTheApi: false,
    exitCodes:
      '  0  done\n  2  a report or the state could not be read (the page says what is missing), or invalid input',
  },
  restore: {
    summary: 'undo a revocation: re-create the grants a recorded run revoked',
    description:
      'Finds what run RUN_ID revoked (in its report in the run store), lists who holds a grant now, and says what it would re-create; with --apply it re-creates the missing grants and records the restore in the store.',
    options: ['state', 'run', 'checkpoint', 'project', 'policy', 'apply'],
    required: ['state', 'run'],
    help: {
      state: { default: '' },
      policy: {
        text: 'warn when this policy would revoke a restored grant again on the next run, and print the exemption to add',
      },
    },
    callsTheApi: true,
    exitCodes: '  0  done, or nothing to do\n  2  a grant could not be re-created, or invalid input',
  },
  validate: {
    summary: 'check a policy file, without calling the API',
    description:
      'Reads and validates the policy as a run would, prints what it holds, and warns about what works but may not do what was meant (an expired exemption, enforcement with no allowlist).',
    options: ['policy'],
    required: ['policy'],
    callsTheApi: false,
    exitCodes: '  0  the policy is valid (warnings, if any, on stderr)\n  2  it is not, or it cannot be read',
  },
  demo: {
    summary: 'audit a seeded demo organization on a local OpenAI emulator: offline, no key',
    description:
      'Runs two nights of report-mode audits of a seeded organization on a local emulator, with a run store in a temporary folder, and prints the second night.',
    options: ['format'],
    required: [],
    callsTheApi: false,
    exitCodes: '  0  the demo ran (its findings are the point)\n  2  it failed',
  },
} as const satisfies Readonly<Record<string, CommandSpec>>;

export type CommandName = keyof typeof COMMANDS;

function isCommand(word: string): word is CommandName {
  return Object.hasOwn(COMMANDS, word);
}

/** What a command line asks for. */
export type CommandLine =
  | { readonly kind: 'version' }
  | { readonly kind: 'help'; readonly command?: CommandName }
  | { readonly kind: 'run'; readonly command: CommandName; readonly flags: Flags };

/** An option's help, as `command` words it. */
function optionHelp(command: CommandName | undefined, option: OptionName): OptionHelp {
  const own = command !== undefined ? (COMMANDS[command] as CommandSpec).help?.[option] : undefined;
  return { ...OPTION_HELP[option], ...own };
}

function optionWithValue(command: CommandName | undefined, option: OptionName): string {
  const { value } = optionHelp(command, option);
  return value !== undefined ? `--${option} ${value}` : `--${option}`;
}

/** Words joined into lines of at most `width` characters, each after `indent`. */
function wrapped(words: readonly string[], indent: string, width: number, first = indent): string {
  const lines: string[] = [];
  let line = first;
  for (const word of words) {
    if (line.trim() !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = line.trim() === '' || line.endsWith(' ') ? `${line}${word}` : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}

const WIDTH = 100;

/** `checkpoint-guard audit --policy FILE [--enforce] ...` after `prefix`, wrapped under its first option. */
export function synopsis(command: CommandName, prefix = ''): string {
  const spec: CommandSpec = COMMANDS[command];
  const lead = `${prefix}checkpoint-guard ${command}`;
  const parts = spec.options.map((option) => {
    const text = optionWithValue(command, option);
    return spec.required.includes(option) ? text : `[${text}]`;
  });
  // A bracketed "[--format text|json]" stays on one line.
  return wrapped(parts, ' '.repeat(lead.length + 1), WIDTH, lead);
}

const ENVIRONMENT = `Environment:
  OPENAI_ADMIN_KEY   an organization admin API key (sk-admin-...)
  OPENAI_BASE_URL    the API base URL (default ${DEFAULT_BASE_URL}; http only to loopback)`;

const EXIT_CODES = `Exit codes (audit, watch):\n${AUDIT_EXIT_CODES}`;

/** `checkpoint-guard --help`: every command's synopsis. */
export function usage(): string {
  const commands = (Object.keys(COMMANDS) as CommandName[]).map((command) => synopsis(command, '  '));
  const summaries = (Object.keys(COMMANDS) as CommandName[]).map(
    (command) => `  ${command.padEnd(10)}${COMMANDS[command].summary}`,
  );
  return `Usage:
${commands.join('\n')}

Commands:
${summaries.join('\n')}

Every command also takes --debug and -h/--help ("checkpoint-guard audit --help": its options and
their defaults); checkpoint-guard --version prints the version.

${ENVIRONMENT}

${EXIT_CODES}
`;
}

/** `checkpoint-guard COMMAND --help`: what it does, and each of its options with its default. */
export function commandHelp(command: CommandName): string {
  const spec: CommandSpec = COMMANDS[command];
  const options = [...spec.options, ...GLOBAL_OPTIONS];
  const labels = options.map((option) =>
    option === 'help' ? '-h, --help' : optionWithValue(command, option),
  );
  const column = Math.max(...labels.map((label) => label.length)) + 4;
  const rows = options.map((option, index) => {
    const help = optionHelp(command, option);
    const text = `${spec.required.includes(option) ? 'required: ' : ''}${help.text}${help.default ? `; default: ${help.default}` : ''}`;
    const label = `  ${labels[index] ?? ''}`.padEnd(column + 2);
    return wrapped(text.split(' '), ' '.repeat(column + 2), WIDTH, label);
  });
  return `${synopsis(command, 'Usage: ')}

${wrapped(spec.description.split(' '), '', WIDTH, '')}

Options:
${rows.join('\n')}
${spec.callsTheApi ? `\n${ENVIRONMENT}\n` : ''}
Exit codes:
${spec.exitCodes}
`;
}

/**
 * A wrong command line: `message`, then the command's synopsis (or the list of commands) and
 * where to read more. Exit code 2, like every invalid input.
 */
export function usageError(message: string, command?: CommandName): CheckpointGuardError {
  const more =
    command !== undefined
      ? `${synopsis(command, 'usage: ')}\nRun "checkpoint-guard ${command} --help" for what each option does.`
      : `Run "checkpoint-guard --help" for the commands.`;
  return new CheckpointGuardError('ERR_CONFIG', `${message}\n\n${more}`);
}

function suggestion(word: string, candidates: readonly string[], prefix = ''): string {
  const meant = didYouMean(word, candidates);
  return meant !== undefined ? `: did you mean ${prefix}${meant}?` : '';
}

/** `--a`, `--a and --b`, `--a, --b and --c`. */
function listed(options: readonly string[]): string {
  const shown = options.map((option) => `--${option}`);
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

/**
 * Reads a command line. Throws a usage error (`ERR_CONFIG`) for an unknown command or option, an
 * option the command does not take, a missing or unexpected value, or an extra argument.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // A lenient pass first: which options were written, and the command, before any value is checked.
  const { tokens, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const [first, ...extra] = positionals;
  const named = first !== undefined && isCommand(first) ? first : undefined;
  const given = [...new Set(tokens.flatMap((token) => (token.kind === 'option' ? [token] : [])))];
  for (const token of given) {
    if (!Object.hasOwn(OPTIONS, token.name)) {
      const candidates =
        named !== undefined ? [...COMMANDS[named].options, ...GLOBAL_OPTIONS] : Object.keys(OPTIONS);
      throw usageError(`unknown option ${token.rawName}${suggestion(token.name, candidates, '--')}`, named);
    }
    const option = token.name as OptionName;
    // `--policy --enforce`: the next word is an option, not the value (one that starts with "-"
    // is written `--project=-x`).
    const looksLikeAnOption = token.inlineValue === false && token.value?.startsWith('-') === true;
    if (OPTIONS[option].type === 'string' && (token.value === undefined || looksLikeAnOption)) {
      throw usageError(`${token.rawName} needs a value: ${optionWithValue(named, option)}`, named);
    }
    if (OPTIONS[option].type === 'boolean' && token.value !== undefined) {
      throw usageError(`${token.rawName} takes no value (it is a switch), got "${token.value}"`, named);
    }
  }
  let flags: Flags;
  try {
    flags = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true }).values;
  } catch (error) {
    // What the lenient pass let through (an option value that looks like an option).
    const code = (error as NodeJS.ErrnoException).code;
    if (!(error instanceof TypeError) || !code?.startsWith('ERR_PARSE_ARGS')) throw error;
    throw usageError(error.message, named);
  }
  if (flags.version) return { kind: 'version' };
  if (flags.help || first === 'help') {
    const about = first === 'help' ? extra[0] : first;
    if (about === undefined) return { kind: 'help' };
    if (!isCommand(about))
      throw usageError(`unknown command "${about}"${suggestion(about, Object.keys(COMMANDS))}`);
    return { kind: 'help', command: about };
  }
  if (first === undefined) throw usageError('a command is required');
  if (named === undefined)
    throw usageError(`unknown command "${first}"${suggestion(first, Object.keys(COMMANDS))}`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`, named);
  const takes: readonly OptionName[] = [...COMMANDS[named].options, ...GLOBAL_OPTIONS];
  const misplaced = [...new Set(given.map((token) => token.name as OptionName))].filter(
    (option) => !takes.includes(option),
  );
  if (misplaced.length > 0) {
    throw usageError(
      `${listed(misplaced)} ${misplaced.length === 1 ? 'does' : 'do'} not apply to ${named}`,
      named,
    );
  }
  return { kind: 'run', command: named, flags };
}
