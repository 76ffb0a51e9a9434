/**
 * A policy written in YAML: the same schema and the same strictness as JSON, every problem
 * located by line and column; and which format a file is read as, by its name.
 */
import { PolicyError } from '../../lambda/core/errors.js';
import { parsePolicyText } from '../../lambda/core/policy.js';
import {
  loadPolicyDocumentText,
  parsePolicyDocument,
  policyFormatOf,
} from '../../lambda/core/policy-document.js';
import { parsePolicyYaml } from '../../lambda/core/policy-yaml.js';
import { NOW, SUPPORT, WEATHER } from './fixtures.js';

describe('policy-yaml', () => {
  const SOURCE = 'policies/prod.yaml';

  /** The JSON of docs/policy.md's example, and the same policy as YAML would be written. */
  const AS_JSON = JSON.stringify({
    mode: 'report',
    allowedProjects: ['proj_core', 'proj_research'],
    checkpoints: [WEATHER, { id: SUPPORT, allowedProjects: ['proj_support'] }],
    exemptions: [
      {
        projectId: 'proj_vendor',
        checkpoint: SUPPORT,
        reason: 'vendor evaluation, ticket SEC-142',
        expiresAt: '2026-12-31',
      },
    ],
    maxRevocationsPerRun: 10,
  });
  const AS_YAML = `# yaml-language-server: $schema=./policy.schema.json
mode: report
allowedProjects: [proj_core, proj_research]
checkpoints:
  - ${WEATHER}
  - id: ${SUPPORT}
    allowedProjects: [proj_support]
exemptions:
  - projectId: proj_vendor
    checkpoint: ${SUPPORT}
    reason: vendor evaluation, ticket SEC-142
    expiresAt: 2026-12-31   # a date, kept as written
maxRevocationsPerRun: 10
`;

  async function problemsOf(
    text: string,
    source = SOURCE,
  ): Promise<readonly { path: string; message: string }[]> {
    try {
      await loadPolicyDocumentText(text, source, new Date(NOW));
    } catch (error) {
      if (error instanceof PolicyError) return error.issues;
      throw error;
    }
    throw new Error('expected the policy to be rejected');
  }

  describe('a YAML policy', () => {
    it('is the same policy as the same document in JSON', async () => {
      const fromYaml = await loadPolicyDocumentText(AS_YAML, SOURCE, new Date(NOW));
      const fromJson = parsePolicyText(AS_JSON, 'policies/prod.json', new Date(NOW));

      expect(fromYaml).toEqual(fromJson);
      expect(parsePolicyDocument(AS_YAML, SOURCE, parsePolicyYaml)).toEqual(JSON.parse(AS_JSON));
    });

    it('keeps an unquoted date, a "no" and a "0755" as the strings written (YAML 1.2)', () => {
      const text = `checkpoints: [${WEATHER}]\n$comment: no\nexemptions:\n  - {projectId: proj_a, reason: "0755", expiresAt: 2030-01-01}\n`;

      expect(parsePolicyDocument(text, SOURCE, parsePolicyYaml)).toMatchObject({
        $comment: 'no',
        exemptions: [{ reason: '0755', expiresAt: '2030-01-01' }],
      });
    });

    it('meets the same schema: an unknown key gets the same message as in JSON', async () => {
      expect(await problemsOf(`checkpoints: [${WEATHER}]\nmaxRevocations: 3\n`)).toEqual([
        { path: '', message: 'unknown key "maxRevocations" (did you mean "maxRevocationsPerRun"?)' },
      ]);
    });

    it.each([
      {
        what: 'a flow list left open',
        text: 'checkpoints: [ft:a:b\nmode: report\n',
        message: /^not valid YAML at line 2, column 1: /,
      },
      {
        what: 'a key repeated in a mapping',
        text: `mode: report\ncheckpoints: [${WEATHER}]\nmode: enforce\n`,
        message: /^not valid YAML at line 3, column 1: duplicate key: a key may appear once per mapping$/,
      },
      {
        what: 'a tab as indentation',
        text: `checkpoints:\n\t- ${WEATHER}\n`,
        message: /^not valid YAML at line 2, column 1: tabs are not allowed as indentation$/,
      },
      {
        what: 'two documents',
        text: `checkpoints: [${WEATHER}]\n---\nmode: enforce\n`,
        message: /^not valid YAML at line 2, column 1: a policy is one YAML document/,
      },
      {
        what: 'an unknown tag',
        text: `checkpoints: [${WEATHER}]\nmode: !Ref Mode\n`,
        message: /^not valid YAML at line 2, column 7: unknown tag: a policy holds plain values only$/,
      },
      {
        what: 'an alias to no anchor',
        text: `checkpoints: [${WEATHER}]\nmode: *nothing\n`,
        message: /^not valid YAML: unresolved alias/,
      },
    ])('$what is refused, located', async ({ text, message }) => {
      expect(await problemsOf(text)).toEqual([{ path: '', message: expect.stringMatching(message) }]);
    });

    it('aliases that would expand a small file into a huge one are refused', async () => {
      const nine = (name: string) => `[${Array(9).fill(name).join(', ')}]`;
      const text = `a: &a ${nine('x')}\nb: &b ${nine('*a')}\nc: &c ${nine('*b')}\nd: &d ${nine('*c')}\ne: ${nine('*d')}\n`;

      expect(await problemsOf(text)).toEqual([
        { path: '', message: expect.stringMatching(/^not valid YAML: excessive alias count/) },
      ]);
    });

    it.each([{ text: '' }, { text: ' \n' }])('an empty file ($text) says so', async ({ text }) => {
      expect(await problemsOf(text)).toEqual([{ path: '', message: 'the file is empty' }]);
    });

    it('a file of comments only is not an object', async () => {
      expect(await problemsOf('# nothing yet\n')).toEqual([
        { path: '', message: 'must be an object, not null' },
      ]);
    });

    it('a UTF-8 byte order mark at the start is accepted', () => {
      expect(parsePolicyDocument(`\uFEFFcheckpoints: [${WEATHER}]\n`, SOURCE, parsePolicyYaml)).toEqual({
        checkpoints: [WEATHER],
      });
    });
  });

  describe('the format of a policy file', () => {
    it.each([
      { name: 'policy.yaml', format: 'yaml' },
      { name: 'policy.yml', format: 'yaml' },
      { name: 'POLICY.YML', format: 'yaml' },
      { name: 'dir.yaml/policy.json', format: 'json' },
      { name: 'policy.json', format: 'json' },
      { name: 'policy', format: 'json' },
      { name: 'policy.yaml.bak', format: 'json' },
    ])('$name is read as $format', ({ name, format }) => {
      expect(policyFormatOf(name)).toBe(format);
    });

    it('a .json file is JSON only: YAML in it is a JSON syntax error', async () => {
      expect(await problemsOf(`checkpoints: [${WEATHER}]\n`, 'policy.json')).toEqual([
        { path: '', message: 'not valid JSON at line 1, column 1: unexpected character' },
      ]);
    });
  });
});
