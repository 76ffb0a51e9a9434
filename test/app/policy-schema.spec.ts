import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parsePolicyText } from '../../lambda/core/policy.js';
import { policyJsonSchemaText } from '../../scripts/policy-json-schema.js';

describe('policy-schema', () => {
  const root = new URL('../../', import.meta.url);
  const read = (name: string) => readFile(new URL(name, root), 'utf8');

  function compileSchema(text: string) {
    const ajv = new Ajv2020.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    return ajv.compile(JSON.parse(text));
  }

  describe('policy.schema.json', () => {
    it('is the JSON Schema generated from the zod schema (run `npm run schema` after changing it)', async () => {
      expect(await read('policy.schema.json')).toBe(policyJsonSchemaText());
    });

    it('accepts the shipped policy.example.json, which the runtime also accepts', async () => {
      const example = await read('policy.example.json');
      const validate = compileSchema(await read('policy.schema.json'));

      expect(validate(JSON.parse(example))).toBe(true);
      expect(
        parsePolicyText(example, 'policy.example.json', new Date('2026-11-01')).policy.checkpoints,
      ).toHaveLength(3);
    });

    it('rejects unknown keys and malformed ids, as the runtime does', async () => {
      const validate = compileSchema(await read('policy.schema.json'));

      expect(validate({ checkpoints: ['ft:gpt-4o:org:x:y'], colour: 'red' })).toBe(false);
      expect(validate({ checkpoints: ['ft:gpt-4o:org:x/../y'] })).toBe(false);
      expect(validate({ checkpoints: ['ft:gpt-4o:org:x:y'], allowedProjects: ['core'] })).toBe(false);
    });
  });
});
