/**
 * The one snapshot: the whole template, so a review sees every change to what
 * is deployed. Asset hashes (they change with any handler edit) and the CDK
 * version metadata are normalised away, so the function is not bundled; the
 * targeted tests say what matters.
 */
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';

describe('stack.snapshot', () => {
  let synthesized: SynthesizedTemplate;

  beforeAll(() => {
    synthesized = synthesizeTemplate({ now: new Date('2026-06-01T00:00:00Z') });
  });

  afterAll(() => synthesized?.cleanup());

  /** Replaces every SHA-256 (asset hashes, in S3 keys and anywhere else) and drops CDKMetadata. */
  function normalised(template: Record<string, unknown>): unknown {
    const { CDKMetadata: _version, ...resources } = template.Resources as Record<string, unknown>;
    return JSON.parse(
      JSON.stringify({ ...template, Resources: resources }).replace(/[0-9a-f]{64}/g, '[ASSET_HASH]'),
    );
  }

  it('matches the reviewed template', () => {
    expect(normalised(synthesized.template.toJSON())).toMatchSnapshot();
  });
});
