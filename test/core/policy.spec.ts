import { PolicyError } from '../../lambda/core/errors.js';
import {
  type CheckpointPolicy,
  DEFAULT_MAX_CREATIONS_PER_RUN,
  DEFAULT_MAX_REVOCATIONS_PER_RUN,
  type Exemption,
  type LoadedPolicy,
  type PolicyFile,
  parsePolicy,
  parsePolicyText,
  requiredOn,
  standingOf,
  withUnlistedCheckpoints,
} from '../../lambda/core/policy.js';
import { NOW, SUPPORT, WEATHER } from './fixtures.js';

describe('policy', () => {
  const SOURCE = 'policies/prod.json';

  function load(raw: unknown, now: string = NOW): LoadedPolicy {
    return parsePolicy(raw, SOURCE, new Date(now));
  }

  /** The `PolicyError` that loading `raw` throws; fails the test if it loads. */
  function rejection(raw: unknown, now: string = NOW): PolicyError {
    try {
      load(raw, now);
    } catch (error) {
      if (error instanceof PolicyError) return error;
      throw error;
    }
    throw new Error('expected the policy to be rejected');
  }

  function issuesOf(raw: unknown): { path: string; message: string }[] {
    return rejection(raw).issues.map((issue) => ({ path: issue.path, message: issue.message }));
  }

  function allowedOn(loaded: LoadedPolicy, checkpointId: string): string[] {
    const checkpoint = loaded.policy.checkpoints.find((c) => c.id === checkpointId);
    if (!checkpoint) throw new Error(`${checkpointId} is not in the policy`);
    return [...checkpoint.allowedProjects].sort();
  }

  const exemption = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    projectId: 'proj_vendor',
    reason: 'vendor evaluation, ticket SEC-142',
    expiresAt: '2026-12-31',
    ...overrides,
  });

  describe('the spec example', () => {
    const SPEC_EXAMPLE = `{"mode":"report","allowedProjects":["proj_core","proj_research"],"checkpoints":["ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd",{"id":"ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4","allowedProjects":["proj_support"]}],"exemptions":[{"projectId":"proj_vendor","checkpoint":"ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4","reason":"vendor evaluation, ticket SEC-142","expiresAt":"2026-12-31"}],"maxRevocationsPerRun":10}`;

    it('is accepted as written, without warnings', () => {
      const loaded = parsePolicyText(SPEC_EXAMPLE, SOURCE, new Date(NOW));

      expect(loaded.warnings).toEqual([]);
      expect(loaded.policy.mode).toBe('report');
      expect(loaded.policy.maxRevocationsPerRun).toBe(10);
    });

    it('gives each checkpoint its effective allowlist', () => {
      const loaded = parsePolicyText(SPEC_EXAMPLE, SOURCE, new Date(NOW));

      expect(loaded.policy.checkpoints.map((c) => c.id)).toEqual([
        'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd',
        'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4',
      ]);
      expect(allowedOn(loaded, 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd')).toEqual([
        'proj_core',
        'proj_research',
      ]);
      expect(allowedOn(loaded, 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4')).toEqual([
        'proj_core',
        'proj_research',
        'proj_support',
      ]);
    });

    it('keeps the exemption with the end of its expiry day as the instant it lapses', () => {
      const loaded = parsePolicyText(SPEC_EXAMPLE, SOURCE, new Date(NOW));

      expect(loaded.policy.exemptions).toEqual([
        {
          projectId: 'proj_vendor',
          checkpoint: 'ft:gpt-4o-2024-08-06:org:support:Q1w2E3r4',
          reason: 'vendor evaluation, ticket SEC-142',
          expiresAt: '2026-12-31',
          expiresAtMs: Date.parse('2027-01-01T00:00:00Z'),
        },
      ]);
    });
  });

  describe('defaults', () => {
    it('when only checkpoints are given, the policy reports, caps revocations and creations at 10, allows and requires nobody and reports unlisted checkpoints', () => {
      const loaded = load({ checkpoints: [WEATHER] });

      expect(loaded.policy).toEqual({
        mode: 'report',
        checkpoints: [{ id: WEATHER, allowedProjects: new Set(), requiredProjects: new Set() }],
        exemptions: [],
        exemptionsByProject: new Map(),
        maxRevocationsPerRun: DEFAULT_MAX_REVOCATIONS_PER_RUN,
        maxCreationsPerRun: DEFAULT_MAX_CREATIONS_PER_RUN,
        lookups: { projectNames: true, grantedBy: true },
        allowedProjects: new Set(),
        unlistedCheckpoints: 'report',
        requiredProjectPaths: new Map(),
      });
      expect(DEFAULT_MAX_REVOCATIONS_PER_RUN).toBe(10);
      expect(DEFAULT_MAX_CREATIONS_PER_RUN).toBe(10);
    });

    it('$schema and $comment are accepted at every level that documents them', () => {
      const raw = {
        $schema: './policy.schema.json',
        $comment: 'owned by security',
        checkpoints: [{ $comment: 'weather bot', id: WEATHER }],
        exemptions: [exemption({ $comment: 'until the vendor signs' })],
      };

      expect(() => load(raw)).not.toThrow();
    });
  });

  describe('unknown keys', () => {
    it.each([
      {
        where: 'the top level',
        raw: { checkpoints: [WEATHER], allowedProject: ['proj_a'] },
        path: '',
        key: 'allowedProject',
      },
      {
        where: 'a checkpoint object',
        raw: { checkpoints: [WEATHER, { id: SUPPORT, allowed: ['proj_a'] }] },
        path: 'checkpoints[1]',
        key: 'allowed',
      },
      {
        where: 'an exemption',
        raw: {
          checkpoints: [WEATHER],
          exemptions: [exemption(), exemption({ projectId: 'proj_b', expires: 'x' })],
        },
        path: 'exemptions[1]',
        key: 'expires',
      },
    ])('an unknown key in $where is rejected, located and named', ({ raw, path, key }) => {
      const issues = issuesOf(raw);

      expect(issues).toEqual([{ path, message: expect.stringContaining(`"${key}"`) }]);
    });
  });

  describe('shape errors', () => {
    it('every shape error is reported at once, each with its path', () => {
      const raw = {
        mode: 'audit',
        allowedProjects: ['proj_core', 'core'],
        checkpoints: [WEATHER, SUPPORT, 'ft:x', 'gpt-4o'],
        exemptions: [exemption({ reason: undefined })],
        maxRevocationsPerRun: 0,
      };

      const paths = issuesOf(raw).map((issue) => issue.path);

      expect(paths.sort()).toEqual(
        [
          'mode',
          'allowedProjects[1]',
          'checkpoints[3]',
          'exemptions[0].reason',
          'maxRevocationsPerRun',
        ].sort(),
      );
    });

    it('the error message names the source and lists every problem as "path: message"', () => {
      const error = rejection({ checkpoints: [WEATHER, SUPPORT, 'ft:x', 'not a checkpoint'], mode: 'audit' });

      expect(error.code).toBe('ERR_POLICY_INVALID');
      expect(error.source).toBe(SOURCE);
      expect(error.message).toMatch(/^invalid policy policies\/prod\.json \(2 problems\):\n/);
      expect(error.message).toContain('\n  checkpoints[3]: must be a fine-tuned model checkpoint id');
      expect(error.message).toContain('\n  mode: ');
    });

    it.each([
      { what: 'an array', raw: [WEATHER] },
      { what: 'null', raw: null },
      { what: 'a string', raw: WEATHER },
    ])('a policy that is $what is rejected', ({ raw }) => {
      expect(() => load(raw)).toThrow(PolicyError);
    });

    it.each([
      { what: 'missing', raw: {} },
      { what: 'empty', raw: { checkpoints: [] } },
    ])('when the checkpoint list is $what, the policy is rejected at "checkpoints"', ({ raw }) => {
      expect(issuesOf(raw).map((issue) => issue.path)).toEqual(['checkpoints']);
    });

    it.each([{ value: 'audit' }, { value: 'ENFORCE' }, { value: true }])(
      'mode $value is rejected',
      ({ value }) => {
        expect(issuesOf({ checkpoints: [WEATHER], mode: value }).map((issue) => issue.path)).toEqual([
          'mode',
        ]);
      },
    );

    it.each([
      { value: 0 },
      { value: -1 },
      { value: 1.5 },
      { value: 10_001 },
      { value: '10' },
      { value: null },
    ])('maxRevocationsPerRun $value is rejected', ({ value }) => {
      const issues = issuesOf({ checkpoints: [WEATHER], maxRevocationsPerRun: value });

      expect(issues.map((issue) => issue.path)).toEqual(['maxRevocationsPerRun']);
    });

    it.each([{ value: 1 }, { value: 10_000 }])('maxRevocationsPerRun $value is accepted', ({ value }) => {
      expect(load({ checkpoints: [WEATHER], maxRevocationsPerRun: value }).policy.maxRevocationsPerRun).toBe(
        value,
      );
    });

    it('a checkpoint entry that is neither a string nor an object is rejected at its index', () => {
      expect(issuesOf({ checkpoints: [WEATHER, 42] })).toEqual([
        { path: 'checkpoints[1]', message: expect.stringContaining('checkpoint id string or an object') },
      ]);
    });
  });

  describe('ids', () => {
    const BAD_PROJECT_IDS = [
      'proj_',
      'project_abc',
      'abc',
      '',
      'proj_a/../b',
      '/../proj_a',
      'proj_a?x=1',
      'proj_a#frag',
      'proj_a\nproj_b',
      'proj_a\n',
      'proj_a b',
      ' proj_a',
      'proj_a\u2028',
      'proj_a.b',
      `proj_${'a'.repeat(65)}`,
    ];
    const BAD_CHECKPOINT_IDS = [
      'gpt-4o-mini',
      'ft:',
      'FT:gpt-4o:org:x:abc',
      'ft:gpt-4o:org/../x:abc',
      '../ft:gpt-4o:org:x:abc',
      'ft:gpt-4o:org:x:abc?limit=1',
      'ft:gpt-4o:org:x:abc#frag',
      'ft:gpt-4o:org:x:abc\n',
      'ft:gpt-4o:org:x\nabc',
      'ft:gpt-4o:org:x abc',
      'ft:gpt-4o:org:x:abc\t',
      'ft:gpt-4o:org:x:abc%2F',
      'ft:gpt-4o:org:x:abc\u0000',
      `ft:${'a'.repeat(251)}`,
    ];

    // JSON.stringify so a test name never holds a raw newline or NUL.
    const projectCases = BAD_PROJECT_IDS.map((id) => ({ id, shown: JSON.stringify(id) }));
    const checkpointCases = BAD_CHECKPOINT_IDS.map((id) => ({ id, shown: JSON.stringify(id) }));

    it.each(projectCases)('project id $shown is rejected in allowedProjects', ({ id }) => {
      expect(issuesOf({ checkpoints: [WEATHER], allowedProjects: ['proj_ok', id] })).toEqual([
        { path: 'allowedProjects[1]', message: expect.stringContaining('OpenAI project id') },
      ]);
    });

    it.each(projectCases)('project id $shown is rejected in a checkpoint allowlist', ({ id }) => {
      const issues = issuesOf({ checkpoints: [{ id: WEATHER, allowedProjects: [id] }] });

      expect(issues.map((issue) => issue.path)).toEqual(['checkpoints[0].allowedProjects[0]']);
    });

    it.each(projectCases)('project id $shown is rejected in an exemption', ({ id }) => {
      const issues = issuesOf({ checkpoints: [WEATHER], exemptions: [exemption({ projectId: id })] });

      expect(issues.map((issue) => issue.path)).toEqual(['exemptions[0].projectId']);
    });

    it.each(checkpointCases)('checkpoint id $shown is rejected as a string entry', ({ id }) => {
      expect(issuesOf({ checkpoints: [WEATHER, id] })).toEqual([
        { path: 'checkpoints[1]', message: expect.stringContaining('fine-tuned model checkpoint id') },
      ]);
    });

    it.each(checkpointCases)('checkpoint id $shown is rejected as an object id', ({ id }) => {
      expect(issuesOf({ checkpoints: [{ id }] })).toEqual([
        { path: 'checkpoints[0].id', message: expect.stringContaining('fine-tuned model checkpoint id') },
      ]);
    });

    it.each(checkpointCases)('checkpoint id $shown is rejected in an exemption', ({ id }) => {
      const issues = issuesOf({ checkpoints: [WEATHER], exemptions: [exemption({ checkpoint: id })] });

      expect(issues.map((issue) => issue.path)).toEqual(['exemptions[0].checkpoint']);
    });

    it.each([
      { id: 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd' },
      { id: 'ft:gpt-4o-mini-2024-07-18:org:weather:B7R9VjQd:ckpt-step-100' },
      { id: 'ft:gpt-3.5-turbo-0125:my-org::8abc123' },
      { id: `ft:${'a'.repeat(250)}` },
    ])('checkpoint id $id is accepted', ({ id }) => {
      expect(load({ checkpoints: [id] }).policy.checkpoints.map((c) => c.id)).toEqual([id]);
    });

    it.each([{ id: 'proj_a' }, { id: 'proj_AbC-123_x' }, { id: `proj_${'a'.repeat(64)}` }])(
      'project id $id is accepted',
      ({ id }) => {
        expect(allowedOn(load({ checkpoints: [WEATHER], allowedProjects: [id] }), WEATHER)).toEqual([id]);
      },
    );
  });

  describe('rule errors', () => {
    it.each([
      { how: 'as two strings', entries: [WEATHER, SUPPORT, WEATHER] },
      {
        how: 'as a string and an object',
        entries: [WEATHER, SUPPORT, { id: WEATHER, allowedProjects: ['proj_a'] }],
      },
    ])('a checkpoint listed twice $how is an error at the second entry', ({ entries }) => {
      expect(issuesOf({ checkpoints: entries })).toEqual([
        { path: 'checkpoints[2]', message: `duplicate of checkpoints[0] (${WEATHER})` },
      ]);
    });

    it('a duplicate checkpoint is reported together with shape errors elsewhere in the file', () => {
      const issues = issuesOf({ checkpoints: [WEATHER, WEATHER], allowedProjects: ['core'] });

      expect(issues.map((issue) => issue.path).sort()).toEqual(['allowedProjects[0]', 'checkpoints[1]']);
    });

    it.each([
      { scope: 'for every checkpoint', checkpoint: undefined },
      { scope: 'for one checkpoint', checkpoint: WEATHER },
    ])('two exemptions for the same project $scope are an error at the second', ({ checkpoint }) => {
      const entry = exemption(checkpoint === undefined ? {} : { checkpoint });
      const raw = { checkpoints: [WEATHER], exemptions: [entry, { ...entry, reason: 'a second reason' }] };

      expect(issuesOf(raw)).toEqual([
        { path: 'exemptions[1]', message: expect.stringContaining('duplicate of exemptions[0]') },
      ]);
    });

    it('exemptions for the same project on different scopes are not duplicates', () => {
      const raw = {
        checkpoints: [WEATHER, SUPPORT],
        exemptions: [exemption(), exemption({ checkpoint: WEATHER }), exemption({ checkpoint: SUPPORT })],
      };

      expect(load(raw).policy.exemptions).toHaveLength(3);
    });

    it('replaceGlobalAllowlist without allowedProjects is an error at that checkpoint', () => {
      const raw = {
        allowedProjects: ['proj_core'],
        checkpoints: [WEATHER, { id: SUPPORT, replaceGlobalAllowlist: true }],
      };

      expect(issuesOf(raw)).toEqual([
        {
          path: 'checkpoints[1].allowedProjects',
          message: expect.stringContaining('replaceGlobalAllowlist'),
        },
      ]);
    });

    it('every rule error is reported at once', () => {
      const raw = {
        checkpoints: [WEATHER, { id: SUPPORT, replaceGlobalAllowlist: true }, WEATHER],
        exemptions: [exemption(), exemption()],
      };

      expect(issuesOf(raw).map((issue) => issue.path)).toEqual([
        'checkpoints[1].allowedProjects',
        'checkpoints[2]',
        'exemptions[1]',
      ]);
    });
  });

  describe('exemption reasons', () => {
    it.each([
      { what: 'missing', reason: undefined },
      { what: 'empty', reason: '' },
      { what: 'blank', reason: '     ' },
      { what: 'too short to say anything', reason: ' ok ' },
      { what: 'not a string', reason: 42 },
      { what: 'only zero-width spaces', reason: '\u200b\u200b\u200b\u200b' },
      { what: 'two letters padded with bidi marks', reason: 'o\u200ek\u200f\u2060' },
    ])('an exemption whose reason is $what is an error at its reason', ({ reason }) => {
      const issues = issuesOf({ checkpoints: [WEATHER], exemptions: [exemption({ reason })] });

      expect(issues).toEqual([{ path: 'exemptions[0].reason', message: expect.stringContaining('say why') }]);
    });

    it.each([
      {
        what: 'missing',
        reason: undefined,
        message: 'is required: say why this grant is allowed, in at least 3 characters (a ticket, an owner)',
      },
      {
        what: 'too short',
        reason: 'ok',
        message: 'must be at least 3 characters long: say why this grant is allowed (a ticket, an owner)',
      },
    ])(
      'the message of a reason that is $what states the rule: at least 3 characters',
      ({ reason, message }) => {
        expect(issuesOf({ checkpoints: [WEATHER], exemptions: [exemption({ reason })] })).toEqual([
          { path: 'exemptions[0].reason', message },
        ]);
      },
    );

    it('a reason longer than 500 characters is an error at its reason, saying the limit', () => {
      const issues = issuesOf({
        checkpoints: [WEATHER],
        exemptions: [exemption({ reason: 'x'.repeat(501) })],
      });

      expect(issues).toEqual([
        { path: 'exemptions[0].reason', message: 'must be at most 500 characters long' },
      ]);
    });

    it('a reason is kept without its surrounding whitespace', () => {
      const loaded = load({
        checkpoints: [WEATHER],
        exemptions: [exemption({ reason: '  ticket SEC-9  ' })],
      });

      expect(loaded.policy.exemptions[0]?.reason).toBe('ticket SEC-9');
    });
  });

  describe('large and hostile policies', () => {
    it('an unknown key holding terminal escapes is shown escaped', () => {
      const error = rejection({ checkpoints: [WEATHER], '\u001b[31mred\u001b[0m': true });

      expect(error.message).not.toContain('\u001b');
      expect(error.message).toContain('\\x1b[31mred');
    });

    it('20,000 invalid entries give a message listing 50 of them and the count of the rest', () => {
      const error = rejection({ checkpoints: Array.from({ length: 20_000 }, (_, n) => `bad ${n}`) });

      expect(error.issues).toHaveLength(20_000);
      expect(error.message.split('\n')).toHaveLength(1 + 50 + 1);
      expect(error.message).toMatch(/\(20000 problems\)/);
      expect(error.message).toMatch(/\.\.\. and 19950 more$/);
    });

    it('exemptions are matched by project, not scanned per grant: 10,000 x 10,000 loads and answers', () => {
      const checkpoints = Array.from({ length: 10_000 }, (_, n) => `ft:gpt-4o:org:model:${n}`);
      const exemptions = checkpoints.map((checkpoint, n) =>
        exemption({ projectId: `proj_${n}`, checkpoint, reason: 'ticket SEC-1' }),
      );

      const { policy } = load({ checkpoints, exemptions });
      const last = policy.checkpoints[9_999];
      if (last === undefined) throw new Error('no checkpoint');

      expect(policy.exemptionsByProject.get('proj_9999')).toHaveLength(1);
      expect(
        standingOf(last, policy.exemptionsByProject.get('proj_9999') ?? [], 'proj_9999', Date.parse(NOW))
          .kind,
      ).toBe('exempt');
    });

    it('a global exemption for a project every checkpoint allows is a warning', () => {
      const { warnings } = load({
        allowedProjects: ['proj_core'],
        checkpoints: [WEATHER, { id: SUPPORT, allowedProjects: ['proj_x'] }],
        exemptions: [exemption({ projectId: 'proj_core' }), exemption({ projectId: 'proj_x' })],
      });

      expect(warnings.filter((w) => w.message.includes('already allowed')).map((w) => w.path)).toEqual([
        'exemptions[0].projectId',
      ]);
    });
  });

  describe('exemption expiry', () => {
    it.each(
      [
        undefined,
        '',
        'tomorrow',
        '31/12/2026',
        '2026-12-31 10:00:00Z',
        '2026-12-31T10:00:00',
        '2026-13-01',
        '2026-02-30',
        '2026-12-32',
        '20261231',
        '2026-12-31T25:00:00Z',
        1_798_761_600,
      ].map((expiresAt) => ({ expiresAt, shown: JSON.stringify(expiresAt) ?? 'missing' })),
    )('expiresAt $shown is an error at its path', ({ expiresAt }) => {
      const issues = issuesOf({ checkpoints: [WEATHER], exemptions: [exemption({ expiresAt })] });

      expect(issues.map((issue) => issue.path)).toEqual(['exemptions[0].expiresAt']);
    });

    it.each([
      { expiresAt: '2026-12-31', lapsesAt: '2027-01-01T00:00:00.000Z' },
      { expiresAt: '2028-02-29', lapsesAt: '2028-03-01T00:00:00.000Z' },
      { expiresAt: '2026-12-31T10:00:00Z', lapsesAt: '2026-12-31T10:00:00.000Z' },
      { expiresAt: '2026-12-31T10:00:00.250Z', lapsesAt: '2026-12-31T10:00:00.250Z' },
      { expiresAt: '2026-12-31T10:00:00+02:00', lapsesAt: '2026-12-31T08:00:00.000Z' },
      { expiresAt: '2026-12-31T10:00:00-05:30', lapsesAt: '2026-12-31T15:30:00.000Z' },
    ])('expiresAt $expiresAt lapses at $lapsesAt', ({ expiresAt, lapsesAt }) => {
      const loaded = load({ checkpoints: [WEATHER], exemptions: [exemption({ expiresAt })] });

      expect(new Date(loaded.policy.exemptions[0]?.expiresAtMs ?? Number.NaN).toISOString()).toBe(lapsesAt);
    });

    it('an exemption that already expired is a warning, not an error, and is kept', () => {
      const loaded = load(
        { checkpoints: [WEATHER], exemptions: [exemption({ expiresAt: '2025-05-31' })] },
        NOW,
      );

      expect(loaded.warnings).toEqual([
        {
          path: 'exemptions[0].expiresAt',
          message: 'expired on 2025-05-31: grants to proj_vendor are findings again',
        },
      ]);
      expect(loaded.policy.exemptions).toHaveLength(1);
    });

    it('a date-only expiry of today is not yet expired', () => {
      const loaded = load(
        { checkpoints: [WEATHER], exemptions: [exemption({ expiresAt: '2025-06-01' })] },
        NOW,
      );

      expect(loaded.warnings).toEqual([]);
    });

    it('a date-time expiry equal to now is already expired', () => {
      const loaded = load(
        { checkpoints: [WEATHER], exemptions: [exemption({ expiresAt: '2025-06-01T12:00:00Z' })] },
        NOW,
      );

      expect(loaded.warnings.map((warning) => warning.path)).toEqual(['exemptions[0].expiresAt']);
    });
  });

  describe('warnings', () => {
    it.each([
      { what: 'nothing allowed at all', policy: { mode: 'enforce', checkpoints: [WEATHER, SUPPORT] } },
      {
        what: 'only empty lists',
        policy: {
          mode: 'enforce',
          allowedProjects: [],
          checkpoints: [{ id: WEATHER, allowedProjects: [] }],
          exemptions: [exemption()],
        },
      },
    ])(
      'an enforce policy with $what warns that every grant would be revoked, up to the cap',
      ({ policy }) => {
        expect(load(policy).warnings).toEqual([
          {
            path: 'allowedProjects',
            message:
              'mode is enforce and no project is allowed on any checkpoint: every grant that is not exempt would be revoked, up to maxRevocationsPerRun (10) per run',
          },
        ]);
      },
    );

    it.each([
      { what: 'a report policy with no allowlist', policy: { checkpoints: [WEATHER] } },
      {
        what: 'an enforce policy with a global allowlist',
        policy: { mode: 'enforce', allowedProjects: ['proj_core'], checkpoints: [WEATHER] },
      },
      {
        what: 'an enforce policy with one checkpoint allowlist',
        policy: { mode: 'enforce', checkpoints: [WEATHER, { id: SUPPORT, allowedProjects: ['proj_core'] }] },
      },
    ])('$what has no allowlist warning', ({ policy }) => {
      expect(load(policy).warnings).toEqual([]);
    });

    it('an exemption on a checkpoint that is not audited is a warning at its checkpoint', () => {
      const loaded = load({ checkpoints: [WEATHER], exemptions: [exemption({ checkpoint: SUPPORT })] });

      expect(loaded.warnings).toEqual([
        { path: 'exemptions[0].checkpoint', message: `${SUPPORT} is not among the audited checkpoints` },
      ]);
    });

    it('a project allowed twice globally is a warning at the second mention', () => {
      const loaded = load({ checkpoints: [WEATHER], allowedProjects: ['proj_a', 'proj_b', 'proj_a'] });

      expect(loaded.warnings).toEqual([
        { path: 'allowedProjects[2]', message: 'proj_a is listed twice (also at [0])' },
      ]);
    });

    it('a project allowed twice on one checkpoint is a warning at the second mention', () => {
      const loaded = load({ checkpoints: [{ id: WEATHER, allowedProjects: ['proj_a', 'proj_a'] }] });

      expect(loaded.warnings).toEqual([
        { path: 'checkpoints[0].allowedProjects[1]', message: 'proj_a is listed twice (also at [0])' },
      ]);
    });

    it('an exemption for a project that is already allowed is a warning at its projectId', () => {
      const loaded = load({
        checkpoints: [WEATHER],
        allowedProjects: ['proj_vendor'],
        exemptions: [exemption()],
      });

      expect(loaded.warnings).toEqual([
        {
          path: 'exemptions[0].projectId',
          message: 'proj_vendor is already allowed; the exemption has no effect',
        },
      ]);
    });

    it('every warning is reported at once, in file order', () => {
      const loaded = load({
        checkpoints: [WEATHER],
        allowedProjects: ['proj_a', 'proj_a'],
        exemptions: [exemption({ checkpoint: SUPPORT, expiresAt: '2024-01-01' })],
      });

      expect(loaded.warnings.map((warning) => warning.path)).toEqual([
        'allowedProjects[1]',
        'exemptions[0].checkpoint',
        'exemptions[0].expiresAt',
      ]);
    });
  });

  describe('allowlists', () => {
    it.each([
      {
        rule: 'a checkpoint without its own list gets the global list',
        entry: WEATHER,
        expected: ['proj_core', 'proj_research'],
      },
      {
        rule: "a checkpoint's own list adds to the global list",
        entry: { id: WEATHER, allowedProjects: ['proj_support'] },
        expected: ['proj_core', 'proj_research', 'proj_support'],
      },
      {
        rule: 'replaceGlobalAllowlist false still adds',
        entry: { id: WEATHER, allowedProjects: ['proj_support'], replaceGlobalAllowlist: false },
        expected: ['proj_core', 'proj_research', 'proj_support'],
      },
      {
        rule: 'replaceGlobalAllowlist true replaces the global list',
        entry: { id: WEATHER, allowedProjects: ['proj_support'], replaceGlobalAllowlist: true },
        expected: ['proj_support'],
      },
      {
        rule: 'replaceGlobalAllowlist true with an empty list allows no project',
        entry: { id: WEATHER, allowedProjects: [], replaceGlobalAllowlist: true },
        expected: [],
      },
    ])('$rule', ({ entry, expected }) => {
      const loaded = load({ allowedProjects: ['proj_core', 'proj_research'], checkpoints: [entry] });

      expect(allowedOn(loaded, WEATHER)).toEqual(expected);
    });

    it("one checkpoint's list does not leak into another's", () => {
      const loaded = load({
        allowedProjects: ['proj_core'],
        checkpoints: [{ id: WEATHER, allowedProjects: ['proj_x'] }, SUPPORT],
      });

      expect(allowedOn(loaded, SUPPORT)).toEqual(['proj_core']);
    });
  });

  describe('required projects', () => {
    function requiredOnCheckpoint(loaded: LoadedPolicy, checkpointId: string): string[] {
      const checkpoint = loaded.policy.checkpoints.find((c) => c.id === checkpointId);
      if (!checkpoint) throw new Error(`${checkpointId} is not in the policy`);
      return [...requiredOn(checkpoint)].sort();
    }

    it.each([
      {
        rule: 'a checkpoint without its own list gets the global requiredProjects',
        entry: WEATHER,
        required: ['proj_prod'],
        allowed: ['proj_core', 'proj_prod'],
      },
      {
        rule: "a checkpoint's own requiredProjects add to the global ones",
        entry: { id: WEATHER, requiredProjects: ['proj_bot'] },
        required: ['proj_bot', 'proj_prod'],
        allowed: ['proj_bot', 'proj_core', 'proj_prod'],
      },
      {
        rule: 'replaceGlobalAllowlist drops the global requiredProjects too, keeping its own',
        entry: {
          id: WEATHER,
          allowedProjects: ['proj_legal'],
          requiredProjects: ['proj_bot'],
          replaceGlobalAllowlist: true,
        },
        required: ['proj_bot'],
        allowed: ['proj_bot', 'proj_legal'],
      },
      {
        rule: 'replaceGlobalAllowlist with no requiredProjects of its own requires nothing',
        entry: { id: WEATHER, allowedProjects: [], replaceGlobalAllowlist: true },
        required: [],
        allowed: [],
      },
    ])('$rule, and a required project is allowed', ({ entry, required, allowed }) => {
      const loaded = load({
        allowedProjects: ['proj_core'],
        requiredProjects: ['proj_prod'],
        checkpoints: [entry],
      });

      expect(requiredOnCheckpoint(loaded, WEATHER)).toEqual(required);
      expect(allowedOn(loaded, WEATHER)).toEqual(allowed);
    });

    it('a required project holding a grant is allowed, never a finding', () => {
      const loaded = load({ requiredProjects: ['proj_prod'], checkpoints: [WEATHER] });
      const [checkpoint] = loaded.policy.checkpoints as CheckpointPolicy[];

      expect(standingOf(checkpoint as CheckpointPolicy, [], 'proj_prod', Date.parse(NOW))).toEqual({
        kind: 'allowed',
      });
    });

    it('standingOf allows a required project even on a checkpoint whose allowlist leaves it out', () => {
      const checkpoint: CheckpointPolicy = {
        id: WEATHER,
        allowedProjects: new Set(),
        requiredProjects: new Set(['proj_prod']),
      };

      expect(standingOf(checkpoint, [], 'proj_prod', Date.parse(NOW))).toEqual({ kind: 'allowed' });
    });

    it('an unlisted checkpoint found by discovery has no required project, whatever it was built with', () => {
      const loaded = load({ requiredProjects: ['proj_prod'], checkpoints: [WEATHER] });
      const policy = withUnlistedCheckpoints(loaded.policy, [SUPPORT]);
      const unlisted = policy.checkpoints.find((c) => c.id === SUPPORT) as CheckpointPolicy;

      expect(unlisted.unlisted).toBe('report');
      expect([...requiredOn(unlisted)]).toEqual([]);
      expect([...requiredOn({ ...unlisted, requiredProjects: new Set(['proj_prod']) })]).toEqual([]);
      // Required everywhere the global lists apply: allowed on an unlisted one too.
      expect(unlisted.allowedProjects.has('proj_prod')).toBe(true);
    });

    it('maxCreationsPerRun defaults to 10 and is kept as written', () => {
      expect(load({ checkpoints: [WEATHER] }).policy.maxCreationsPerRun).toBe(10);
      expect(load({ checkpoints: [WEATHER], maxCreationsPerRun: 3 }).policy.maxCreationsPerRun).toBe(3);
    });

    it.each([
      ['zero', 0],
      ['a fraction', 1.5],
      ['more than 10,000', 10_001],
      ['a string', '5'],
    ])('maxCreationsPerRun of %s is an error at its path', (_case, value) => {
      expect(issuesOf({ checkpoints: [WEATHER], maxCreationsPerRun: value }).map((i) => i.path)).toEqual([
        'maxCreationsPerRun',
      ]);
    });

    it('a malformed required project id is an error at its path, top level and per checkpoint', () => {
      const issues = issuesOf({
        requiredProjects: ['prod'],
        checkpoints: [{ id: WEATHER, requiredProjects: ['proj_ok', 'bad id'] }],
      });

      expect(issues.map((i) => i.path)).toEqual([
        'requiredProjects[0]',
        'checkpoints[0].requiredProjects[1]',
      ]);
    });

    it('a project required twice is a warning at the second mention', () => {
      const loaded = load({
        requiredProjects: ['proj_prod', 'proj_prod'],
        checkpoints: [{ id: WEATHER, requiredProjects: ['proj_bot', 'proj_bot'] }],
      });

      expect(loaded.warnings.map((w) => w.path)).toEqual([
        'requiredProjects[1]',
        'checkpoints[0].requiredProjects[1]',
      ]);
    });

    it('an exemption for a required project is a warning: it is already allowed', () => {
      const loaded = load({
        requiredProjects: ['proj_prod'],
        checkpoints: [WEATHER],
        exemptions: [{ projectId: 'proj_prod', reason: 'belt and braces', expiresAt: '2099-01-01' }],
      });

      expect(loaded.warnings).toEqual([
        {
          path: 'exemptions[0].projectId',
          message: 'proj_prod is already allowed; the exemption has no effect',
        },
      ]);
    });

    it('records where the policy names each required project, for the warnings about it', () => {
      const loaded = load({
        requiredProjects: ['proj_prod'],
        checkpoints: [WEATHER, { id: SUPPORT, requiredProjects: ['proj_bot', 'proj_prod'] }],
      });

      expect(loaded.policy.requiredProjectPaths).toEqual(
        new Map([
          ['proj_prod', ['requiredProjects[0]', 'checkpoints[1].requiredProjects[1]']],
          ['proj_bot', ['checkpoints[1].requiredProjects[0]']],
        ]),
      );
    });
  });

  describe('parsePolicyText', () => {
    function problemsOf(text: string): readonly { path: string; message: string }[] {
      let thrown: unknown;
      try {
        parsePolicyText(text, SOURCE, new Date(NOW));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PolicyError);
      expect((thrown as PolicyError).source).toBe(SOURCE);
      expect((thrown as PolicyError).message).toContain(`invalid policy ${SOURCE}`);
      return (thrown as PolicyError).issues;
    }

    it.each([
      {
        what: 'truncated JSON',
        text: '{"checkpoints": [',
        message: 'not valid JSON at line 1, column 18: "]" is expected',
      },
      { what: 'an empty file', text: ' \n', message: 'the file is empty' },
      {
        what: 'YAML',
        text: 'checkpoints:\n  - ft:gpt-4o:org:x:abc\n',
        message: 'not valid JSON at line 1, column 1: unexpected character',
      },
      {
        what: 'JSON with a trailing comma',
        text: `{"checkpoints": [\n  "${WEATHER}",\n]}`,
        message: 'not valid JSON at line 3, column 1: a value is expected (after a trailing comma?)',
      },
      {
        what: 'a comment',
        text: `{"checkpoints": ["${WEATHER}"]} // prod`,
        message: 'not valid JSON at line 1, column 75: comments are not allowed in JSON (use "$comment")',
      },
    ])('$what is rejected, located by line and column', ({ text, message }) => {
      expect(problemsOf(text)).toEqual([{ path: '', message }]);
    });

    it('a key repeated in one object is refused, not silently the last one', () => {
      const text = `{"mode": "report", "checkpoints": ["${WEATHER}"], "mode": "enforce"}`;

      expect(problemsOf(text)).toEqual([
        { path: 'mode', message: 'duplicate key (line 1, column 93): a key may appear once per object' },
      ]);
    });

    it('a key repeated inside an exemption is refused with its path', () => {
      const text = JSON.stringify({ checkpoints: [WEATHER], exemptions: [{}] }).replace(
        '{}',
        '{"projectId": "proj_a", "reason": "ticket SEC-1", "expiresAt": "2030-01-01", "projectId": "proj_b"}',
      );

      expect(problemsOf(text)).toEqual([
        {
          path: 'exemptions[0].projectId',
          message: expect.stringMatching(/^duplicate key \(line 1, column \d+\)/),
        },
      ]);
    });

    it('the same key in two different objects is fine', () => {
      const text = JSON.stringify({ checkpoints: [{ id: WEATHER }, { id: SUPPORT }] });

      expect(parsePolicyText(text, SOURCE, new Date(NOW)).policy.checkpoints).toHaveLength(2);
    });

    it('a UTF-8 byte order mark at the start is accepted', () => {
      const loaded = parsePolicyText(
        `\uFEFF${JSON.stringify({ checkpoints: [WEATHER] })}`,
        SOURCE,
        new Date(NOW),
      );

      expect(loaded.policy.checkpoints.map((c) => c.id)).toEqual([WEATHER]);
    });

    it('valid JSON goes through the same validation as an object', () => {
      const text = JSON.stringify({ checkpoints: [WEATHER], extra: true });

      expect(() => parsePolicyText(text, SOURCE, new Date(NOW))).toThrow(/unknown key "extra"/);
    });
  });

  describe('standingOf', () => {
    const DAY_END = Date.parse('2027-01-01T00:00:00Z');
    const checkpoint = (id: string, allowed: string[] = ['proj_core']): CheckpointPolicy => ({
      id,
      allowedProjects: new Set(allowed),
    });
    const exempt = (projectId: string, expiresAt: string, scope?: string): Exemption => {
      const file: PolicyFile = {
        checkpoints: [WEATHER, SUPPORT],
        exemptions: [
          {
            projectId,
            reason: `reason for ${projectId}`,
            expiresAt,
            ...(scope ? { checkpoint: scope } : {}),
          },
        ],
      };
      const [loaded] = parsePolicy(file, SOURCE, new Date('2000-01-01T00:00:00Z')).policy.exemptions;
      if (!loaded) throw new Error('exemption did not load');
      return loaded;
    };

    it.each([
      {
        rule: 'an allowed project is allowed even when also exempt',
        exemptions: [exempt('proj_core', '2026-12-31')],
        projectId: 'proj_core',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'allowed' },
      },
      {
        rule: 'a project neither allowed nor exempt is unexpected',
        exemptions: [exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_other',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'unexpected' },
      },
      {
        rule: 'an active exemption makes a grant exempt',
        exemptions: [exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'exempt', exemption: expect.objectContaining({ expiresAt: '2026-12-31' }) },
      },
      {
        rule: 'a date-only exemption still applies in the last millisecond of its day (UTC)',
        exemptions: [exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_vendor',
        now: DAY_END - 1,
        expected: { kind: 'exempt', exemption: expect.objectContaining({ expiresAt: '2026-12-31' }) },
      },
      {
        rule: 'a date-only exemption has expired at midnight UTC after its day',
        exemptions: [exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_vendor',
        now: DAY_END,
        expected: {
          kind: 'exemption-expired',
          exemption: expect.objectContaining({ expiresAt: '2026-12-31' }),
        },
      },
      {
        rule: 'a date-time exemption has expired at its exact instant',
        exemptions: [exempt('proj_vendor', '2026-12-31T10:00:00Z')],
        projectId: 'proj_vendor',
        now: Date.parse('2026-12-31T10:00:00Z'),
        expected: {
          kind: 'exemption-expired',
          exemption: expect.objectContaining({ expiresAt: '2026-12-31T10:00:00Z' }),
        },
      },
      {
        rule: 'an exemption scoped to this checkpoint applies',
        exemptions: [exempt('proj_vendor', '2026-12-31', WEATHER)],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'exempt', exemption: expect.objectContaining({ checkpoint: WEATHER }) },
      },
      {
        rule: 'an exemption scoped to another checkpoint does not apply',
        exemptions: [exempt('proj_vendor', '2026-12-31', SUPPORT)],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'unexpected' },
      },
      {
        rule: 'an expired exemption scoped to another checkpoint is not named',
        exemptions: [exempt('proj_vendor', '2025-01-01', SUPPORT)],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'unexpected' },
      },
      {
        rule: 'a global exemption applies to every checkpoint',
        exemptions: [exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: {
          kind: 'exempt',
          exemption: expect.not.objectContaining({ checkpoint: expect.anything() }),
        },
      },
      {
        rule: 'an active scoped exemption wins over an expired global one listed first',
        exemptions: [exempt('proj_vendor', '2025-01-01'), exempt('proj_vendor', '2026-12-31', WEATHER)],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'exempt', exemption: expect.objectContaining({ checkpoint: WEATHER }) },
      },
      {
        rule: 'an active global exemption wins over an expired scoped one listed first',
        exemptions: [exempt('proj_vendor', '2025-01-01', WEATHER), exempt('proj_vendor', '2026-12-31')],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: { kind: 'exempt', exemption: expect.objectContaining({ expiresAt: '2026-12-31' }) },
      },
      {
        rule: 'when every matching exemption expired, the one that lapsed last is named',
        exemptions: [
          exempt('proj_vendor', '2025-01-01'),
          exempt('proj_vendor', '2025-03-01', WEATHER),
          exempt('proj_vendor', '2025-02-01', WEATHER),
        ],
        projectId: 'proj_vendor',
        now: Date.parse('2026-06-01T00:00:00Z'),
        expected: {
          kind: 'exemption-expired',
          exemption: expect.objectContaining({ expiresAt: '2025-03-01' }),
        },
      },
    ])('$rule', ({ exemptions, projectId, now, expected }) => {
      const standing = standingOf(checkpoint(WEATHER), exemptions, projectId, now);

      expect(standing).toEqual(expected);
    });
  });
});
