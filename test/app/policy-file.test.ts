/**
 * The one policy file reader, behind the CLI, the Lambda and the stack.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyError } from '../../lambda/core/errors.js';
import { loadBundledPolicy } from '../../lambda/handler.js';
import { loadPolicyFile, readPolicyFile } from '../../lambda/policy-file.js';

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

/** The error `load` throws, failing the test if it throws none. */
function thrownBy(load: () => unknown): PolicyError {
  try {
    load();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('expected a PolicyError');
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
    });
  });

  it("gives any other failure with the system's reason, which names the path", () => {
    const read = readPolicyFile(dir, '/');

    expect(read).toEqual({ path: dir, problem: expect.stringMatching(/^EISDIR.*/) });
  });
});

describe('loadPolicyFile', () => {
  it('validates the policy it reads', () => {
    expect(loadPolicyFile('policy.json', NOW, dir).policy.checkpoints).toHaveLength(1);
  });

  it('names the file and says "file not found" when it is missing', () => {
    const error = thrownBy(() => loadPolicyFile(join(dir, 'missing.json'), NOW));

    expect(error.message).toBe(
      `invalid policy ${join(dir, 'missing.json')} (1 problem):\n  cannot read: file not found`,
    );
  });

  it('names the path it looked at too when the name given is relative', () => {
    const error = thrownBy(() => loadPolicyFile('missing.json', NOW, dir));

    expect(error.message).toBe(
      `invalid policy missing.json (1 problem):\n  cannot read ${join(dir, 'missing.json')}: file not found`,
    );
  });
});

describe("the Lambda's bundled policy", () => {
  it('is an error value, not an exception, when it cannot be read, so the run can report it', () => {
    const loaded = loadBundledPolicy(join(dir, 'missing.json'), NOW);

    expect(loaded).toBeInstanceOf(PolicyError);
    expect((loaded as PolicyError).message).toContain('cannot read: file not found');
  });
});
