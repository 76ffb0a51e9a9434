/**
 * The watch's part of the stack (lib/watch-function.ts): on by default, a second function on the
 * audit function's bundle and role, a rule every `watchSchedule` sending `{"kind": "watch"}`,
 * and ticks that never pile up, retry or reach the failed-run queue; `watchSchedule: off`
 * leaves nothing of it.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { type SynthesizedTemplate, synthesizeTemplate } from '../../scripts/synth.js';

describe('watch-stack', () => {
  let synthesized: SynthesizedTemplate;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesizeTemplate();
    template = synthesized.template;
  });

  afterAll(() => synthesized?.cleanup());

  function functionIds(): { audit: string; watch: string } {
    const ids = Object.keys(template.findResources('AWS::Lambda::Function'));
    const watch = ids.find((id) => id.startsWith('GuardWatchFunction'));
    const audit = ids.find((id) => id !== watch);
    if (watch === undefined || audit === undefined || ids.length !== 2) throw new Error(`functions: ${ids}`);
    return { audit, watch };
  }

  it('adds a watch function on the audit function’s bundle, role, runtime and environment', () => {
    const { audit, watch } = functionIds();
    const functions = template.findResources('AWS::Lambda::Function');
    const a = functions[audit]?.Properties;
    const w = functions[watch]?.Properties;

    expect(w.Code).toEqual(a.Code);
    expect(w.Role).toEqual(a.Role);
    expect([w.Runtime, w.Architectures, w.Handler, w.Timeout, w.MemorySize]).toEqual([
      a.Runtime,
      a.Architectures,
      a.Handler,
      a.Timeout,
      a.MemorySize,
    ]);
    expect(w.Environment).toEqual(a.Environment);
    expect(w.ReservedConcurrentExecutions).toBe(1);
    expect(w.LoggingConfig.LogGroup).not.toEqual(a.LoggingConfig.LogGroup);
  });

  it('polls every 5 minutes with {"kind": "watch"}, and a tick never retries nor waits more than a minute', () => {
    const { watch } = functionIds();

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [watch, 'Arn'] },
          Input: JSON.stringify({ kind: 'watch' }),
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        }),
      ],
    });
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (config) => config.Properties.FunctionName.Ref === watch,
    );
    expect(configs.map((config) => config.Properties)).toEqual([
      {
        FunctionName: { Ref: watch },
        Qualifier: '$LATEST',
        MaximumEventAgeInSeconds: 60,
        MaximumRetryAttempts: 0,
      },
    ]);
  });

  it('watchSchedule: off leaves one function and one rule', () => {
    const off = synthesizeTemplate({ context: { watchSchedule: 'off' } });
    try {
      expect(Object.keys(off.template.findResources('AWS::Lambda::Function'))).toHaveLength(1);
      expect(Object.keys(off.template.findResources('AWS::Events::Rule'))).toHaveLength(1);
    } finally {
      off.cleanup();
    }
  });

  it('refuses a watchSchedule that is neither a schedule nor off', () => {
    expect(() => synthesizeTemplate({ context: { watchSchedule: 'every 5 minutes' } })).toThrow(
      /watchSchedule: .*or off \(got "every 5 minutes"\)/,
    );
  });
});
