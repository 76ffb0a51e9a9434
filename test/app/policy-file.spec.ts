/**
 * The one policy file reader, behind the CLI, the Lambda and the stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointGuardError, PolicyError } from '../../lambda/core/errors.js';
import { loadBundledPolicy } from '../../lambda/handler.js';
import { PolicyFileError, policyFileText, readPolicyFile } from '../../lambda/policy-file.js';

describe('policy-file', () => {
  const NOW = new Date('2026-06-01T00:00:00Z');
  const POLICY = {
    allowedProjects: ['proj_core'],
    checkpoints: ['ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd'],
  };

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-guard-policy-file-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The error `read` throws, failing the test if it throws none. */
  function thrownBy(read: () => unknown): PolicyFileError {
    try {
      read();
    } catch (error) {
      if (error instanceof PolicyFileError) return error;
      throw error;
    }
    throw new Error('expected a PolicyFileError');
  }

  describe('readPolicyFile', () => {
    it('reads a relative name against the base directory, and says where it looked', () => {
      expect(readPolicyFile('policy.json', dir)).toEqual({
        path: join(dir, 'policy.json'),
        text: JSON.stringify(POLICY),
      });
    });

    it('reads an absolute name as it is', () => {
      expect(readPolicyFile(join(dir, 'policy.json'), '/elsewhere').path).toBe(join(dir, 'policy.json'));
    });

    it('gives a missing file as a value: "file not found"', () => {
      expect(readPolicyFile('missing.json', dir)).toEqual({
        path: join(dir, 'missing.json'),
        problem: 'file not found',
        missing: true,
      });
    });

    it("gives any other failure with the system's reason, which names the path", () => {
      const read = readPolicyFile(dir, '/');

      expect(read).toEqual({ path: dir, problem: expect.stringMatching(/^EISDIR.*/), missing: false });
    });
  });

  describe('policyFileText', () => {
    it('gives the text of the file', () => {
      expect(policyFileText('policy.json', dir)).toBe(JSON.stringify(POLICY));
    });

    it('says "not found", naming the file, when it is missing: not an invalid policy', () => {
      const error = thrownBy(() => policyFileText(join(dir, 'missing.json')));

      expect(error.code).toBe('ERR_POLICY_UNREADABLE');
      expect(error).not.toBeInstanceOf(PolicyError);
      expect(error.message).toBe(`policy file ${join(dir, 'missing.json')} not found`);
    });

    it('names the path it looked at too when the name given is relative', () => {
      const error = thrownBy(() => policyFileText('missing.json', dir));

      expect(error.message).toBe(
        `policy file missing.json not found (looked for ${join(dir, 'missing.json')})`,
      );
    });

    it("gives any other failure with the system's reason", () => {
      const error = thrownBy(() => policyFileText(dir, '/'));

      expect(error.message).toMatch(new RegExp(`^cannot read policy file ${dir}: EISDIR`));
    });
  });

  describe("the Lambda's bundled policy", () => {
    it('is an error value, not an exception, when it cannot be read, so the run can report it', () => {
      const loaded = loadBundledPolicy(join(dir, 'missing.json'), NOW);

      expect(loaded).toBeInstanceOf(CheckpointGuardError);
      expect((loaded as CheckpointGuardError).message).toContain('missing.json not found');
    });

    it('is read as JSON whatever its name (the stack always writes JSON there): no YAML parser in the Lambda', () => {
      writeFileSync(
        join(dir, 'bundled.yaml'),
        'checkpoints:\n  - ft:gpt-4o-mini-2024-07-18:acme:weather:B7R9VjQd\n',
      );

      const loaded = loadBundledPolicy(join(dir, 'bundled.yaml'), NOW);

      expect(loaded).toBeInstanceOf(PolicyError);
      expect((loaded as PolicyError).message).toContain('not valid JSON');
    });

    it('names each problem by its field, with no line of the file the stack wrote', () => {
      writeFileSync(join(dir, 'bundled-invalid.json'), `${JSON.stringify({ ...POLICY, mode: 'enforc' })}\n`);

      const loaded = loadBundledPolicy(join(dir, 'bundled-invalid.json'), NOW);

      expect((loaded as PolicyError).issues).toEqual([
        {
          path: 'mode',
          message: 'must be "report" or "enforce", not the string "enforc": did you mean "enforce"?',
        },
      ]);
    });

    it('text that is not JSON is refused without a position in a file the operator never wrote', () => {
      writeFileSync(join(dir, 'bundled-truncated.json'), '{"checkpoints": [');

      const loaded = loadBundledPolicy(join(dir, 'bundled-truncated.json'), NOW);

      expect((loaded as PolicyError).issues).toEqual([
        {
          path: '',
          message:
            'not valid JSON: the stack writes this file at deploy time from the policy it validated; deploy again',
        },
      ]);
    });

    it('an empty file is said to be empty, as the command line says it', () => {
      writeFileSync(join(dir, 'bundled-empty.json'), '\n');

      const loaded = loadBundledPolicy(join(dir, 'bundled-empty.json'), NOW);

      expect((loaded as PolicyError).issues).toEqual([{ path: '', message: 'the file is empty' }]);
    });
  });
});
