import { closestNames, editDistance } from '../../lib/closest-names.js';

describe('editDistance', () => {
  it.each([
    ['policyfile', 'policyfile', 0],
    ['polcyfile', 'policyfile', 1],
    ['poilcyfile', 'policyfile', 1],
    ['schedule', 'shcedlue', 2],
    ['', 'name', 4],
  ])('%s to %s takes %i edits', (a, b, edits) => {
    expect(editDistance(a, b)).toBe(edits);
    expect(editDistance(b, a)).toBe(edits);
  });
});

describe('closestNames', () => {
  const known = ['name', 'policyFile', 'alertEmails', 'adminKeyParameterName', 'adminKeyKmsKeyArn', 'notify'];

  it.each<[string, string[]]>([
    ['polcyFile', ['policyFile']],
    ['POLICY_FILE', ['policyFile']],
    ['alert-emails', ['alertEmails']],
    ['nam', ['name']],
    ['stackName', ['name']],
    ['adminKey', ['adminKeyParameterName', 'adminKeyKmsKeyArn']],
    ['notice', ['notify']],
    ['mode', []],
    ['xyzzy', []],
    ['a', []],
  ])('%s could mean %j', (name, meant) => {
    expect(closestNames(name, known)).toEqual(meant);
  });
});
