/**
 * The command line behaves like its peers: --version, a help per command listing its options
 * with their defaults, an option that does not apply to the command refused (not ignored), and
 * a misspelled command or option answered with what was most likely meant.
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, type CommandName, OPTIONS } from '../../lambda/cli-arguments.js';
import { runCli } from '../support/run-cli.js';

describe('cli-arguments', () => {
  const VERSION = (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;

  const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

  describe('--version', () => {
    it.each([[['--version']], [['audit', '--version']]])(
      '%j prints the version alone and exits 0',
      async (argv) => {
        const result = await runCli(argv, {});

        expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
      },
    );
  });

  describe('--help', () => {
    it.each([[['--help']], [['-h']], [['help']]])('%j lists every command, and exits 0', async (argv) => {
      const result = await runCli(argv, {});

      expect(result.code).toBe(0);
      for (const command of COMMAND_NAMES) expect(result.stdout).toContain(`  checkpoint-guard ${command}`);
      expect(result.stdout).toContain('checkpoint-guard audit --help');
    });

    it.each(COMMAND_NAMES)(
      '"%s --help" lists exactly the options the command takes, and no other',
      async (command) => {
        const result = await runCli([command, '--help'], {});

        const listed = [...result.stdout.matchAll(/^ {2}(?:-h, )?--([a-z-]+)/gm)].map(([, option]) => option);
        expect(result.code).toBe(0);
        expect(result.stdout.split('\n')[0]).toMatch(new RegExp(`^Usage: checkpoint-guard ${command}\\b`));
        expect(listed.sort()).toEqual([...COMMANDS[command].options, 'debug', 'help'].sort());
      },
    );

    it('"audit --help" gives each default the run uses', async () => {
      const { stdout } = await runCli(['audit', '--help'], {});

      const flat = stdout.replace(/\n\s+/g, ' ');
      expect(flat).toMatch(/--format text\|json\s+the report format; default: text/);
      expect(flat).toMatch(/--deadline DURATION .*; default: 30m/);
      expect(flat).toMatch(/--concurrency N .*; default: 16/);
      expect(flat).toMatch(/--timeout-ms MS .*; default: 30000/);
      expect(flat).toMatch(/--max-retries N .*; default: 5/);
      expect(flat).toMatch(/--policy FILE\s+required: the policy file, JSON or YAML/);
      expect(flat).toMatch(/1\s+unexpected grants found, also when an enforce run revoked every one of them/);
    });

    it('"help watch" is "watch --help", with the interval default', async () => {
      const viaHelp = await runCli(['help', 'watch'], {});

      expect(viaHelp).toEqual(await runCli(['watch', '--help'], {}));
      expect(viaHelp.stdout.replace(/\n\s+/g, ' ')).toMatch(/--interval DURATION\s+.*; default: 60s/);
    });

    it('a line of help is at most 100 columns wide', async () => {
      for (const argv of [['--help'], ...COMMAND_NAMES.map((command) => [command, '--help'])]) {
        const { stdout } = await runCli(argv, {});
        expect(stdout.split('\n').filter((line) => line.length > 100)).toEqual([]);
      }
    });

    it('help for an unknown command is an error that suggests the command meant', async () => {
      const result = await runCli(['help', 'histroy'], {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('unknown command "histroy": did you mean history?');
    });
  });

  describe('an option the command does not take', () => {
    it.each([
      {
        argv: ['validate', '--policy', 'p.json', '--enforce'],
        message: '--enforce does not apply to validate',
      },
      { argv: ['demo', '--output', 'report.txt'], message: '--output does not apply to demo' },
      {
        argv: ['history', '--state', 's', '--policy', 'p.json'],
        message: '--policy does not apply to history',
      },
      {
        argv: ['watch', '--policy', 'p.json', '--state', 's', '--concurrency', '4', '--max-retries', '1'],
        message: '--concurrency and --max-retries do not apply to watch',
      },
      { argv: ['audit', '--policy', 'p.json', '--apply'], message: '--apply does not apply to audit' },
    ])(
      '$argv is refused before anything runs, with the synopsis of the command',
      async ({ argv, message }) => {
        const result = await runCli(argv, {});
        const command = argv[0] ?? '';

        expect(result.code).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain(`checkpoint-guard: ${message}\n`);
        expect(result.stderr).toContain(`usage: checkpoint-guard ${command}`);
        expect(result.stderr).toContain(`Run "checkpoint-guard ${command} --help"`);
      },
    );

    it('--debug and --help apply to every command', async () => {
      for (const command of COMMAND_NAMES) {
        const result = await runCli([command, '--debug', '--help'], {});
        expect(result.code).toBe(0);
      }
    });
  });

  describe('a misspelling', () => {
    it.each([
      { argv: ['audti'], message: 'unknown command "audti": did you mean audit?' },
      { argv: ['audit', '--polcy', 'p.json'], message: 'unknown option --polcy: did you mean --policy?' },
      { argv: ['audit', '--enforced'], message: 'unknown option --enforced: did you mean --enforce?' },
      { argv: ['audit', '--frobnicate'], message: 'unknown option --frobnicate\n' },
      { argv: ['validate', '-x'], message: 'unknown option -x\n' },
    ])('$argv is refused: "$message"', async ({ argv, message }) => {
      const result = await runCli(argv, {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    });
  });

  describe('a value', () => {
    it.each([
      { argv: ['validate', '--policy'], message: '--policy needs a value: --policy FILE' },
      { argv: ['audit', '--policy', '--enforce'], message: '--policy needs a value: --policy FILE' },
      { argv: ['audit', '--enforce=yes'], message: '--enforce takes no value (it is a switch), got "yes"' },
      { argv: ['validate', '--policy', 'a.json', 'b.json'], message: 'unexpected argument "b.json"' },
    ])('$argv is refused: "$message"', async ({ argv, message }) => {
      const result = await runCli(argv, {});

      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`checkpoint-guard: ${message}\n`);
    });

    it('that starts with "-" is written --option=value', async () => {
      const result = await runCli(['restore', '--state', 's', '--run', 'r', '--project=-odd'], {});

      // Past the grammar: the next problem is the missing key.
      expect(result.stderr).toContain('OPENAI_ADMIN_KEY is not set');
    });
  });

  describe('the grammar', () => {
    it('every option is taken by some command, or by all', () => {
      const taken = new Set<string>([
        ...Object.values(COMMANDS).flatMap((c) => c.options),
        'debug',
        'help',
        'version',
      ]);

      expect(Object.keys(OPTIONS).filter((option) => !taken.has(option))).toEqual([]);
    });
  });
});
