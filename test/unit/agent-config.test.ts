import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { AGENT_CONFIG_PATH, renderAgentConfig, validateAgentConfig, type AgentConfigInput } from '../../src/main/install/plan/agent-config';
import { runnerChecklist } from '../../src/main/install/steps/runner-checklist';
import { usageError } from '../harness/thrown';

const IMAGE = 'registry.internal.example.com/duo/duo-agent:18.10.0';

describe('renderAgentConfig', () => {
  it('writes the complete example of the GitLab docs, parsing back to the same values', () => {
    const input: AgentConfigInput = {
      image: IMAGE,
      setupScript: ['apt-get update && apt-get install -y build-essential', 'pip install --upgrade pip', 'pip install -r requirements.txt'],
      cache: { key: { files: ['requirements.txt', 'Pipfile.lock'], prefix: 'python-deps' }, paths: ['.cache/pip', 'venv/'] },
    };
    const text = renderAgentConfig(input);
    expect(parse(text)).toEqual({
      image: IMAGE,
      setup_script: input.setupScript,
      cache: { key: { files: ['requirements.txt', 'Pipfile.lock'], prefix: 'python-deps' }, paths: ['.cache/pip', 'venv/'] },
    });
    expect(parseDocument(text).errors).toEqual([]);
    const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
    expect(header).toContain('Ferry');
    expect(header).toContain(AGENT_CONFIG_PATH);
    expect(header).toContain('does not refer to the Ferry bundle');
  });

  it.each<[string, AgentConfigInput, Record<string, unknown>]>([
    ['image only', { image: 'python:3.11-slim' }, { image: 'python:3.11-slim' }],
    ['empty setup script left out', { image: IMAGE, setupScript: [] }, { image: IMAGE }],
    ['string key', { image: IMAGE, cache: { key: 'my-project-cache', paths: ['vendor/', '.bundle/'] } }, { image: IMAGE, cache: { key: 'my-project-cache', paths: ['vendor/', '.bundle/'] } }],
    ['no key', { image: IMAGE, cache: { paths: ['node_modules/', '.npm/'] } }, { image: IMAGE, cache: { paths: ['node_modules/', '.npm/'] } }],
    [
      'prefix with a CI/CD variable',
      { image: IMAGE, cache: { key: { files: ['package-lock.json'], prefix: '$CI_JOB_NAME' }, paths: ['node_modules/'] } },
      { image: IMAGE, cache: { key: { files: ['package-lock.json'], prefix: '$CI_JOB_NAME' }, paths: ['node_modules/'] } },
    ],
    [
      'YAML-sensitive strings stay strings',
      { image: IMAGE, setupScript: ['echo "a: b" # not a comment', 'true', '- x', 'yes', '1.0'] },
      { image: IMAGE, setup_script: ['echo "a: b" # not a comment', 'true', '- x', 'yes', '1.0'] },
    ],
  ])('%s', (_name, input, want) => {
    expect(parse(renderAgentConfig(input))).toEqual(want);
  });

  it('validates before rendering', () => {
    const err = usageError(() => renderAgentConfig({ image: IMAGE, cache: { paths: [] } }));
    expect(err.message).toBe(`${AGENT_CONFIG_PATH}: cache.paths: required — a cache without paths has no effect`);
  });
});

describe('validateAgentConfig', () => {
  it.each<[string, unknown, string]>([
    ['cache without paths', { image: IMAGE, cache: { key: 'k' } }, 'cache.paths: required — a cache without paths has no effect'],
    ['cache with empty paths', { image: IMAGE, cache: { paths: [] } }, 'cache.paths: required — a cache without paths has no effect'],
    ['paths not a list', { image: IMAGE, cache: { paths: 'node_modules/' } }, 'cache.paths: must be a list of paths'],
    ['absolute cache path', { image: IMAGE, cache: { paths: ['/etc'] } }, 'cache.paths[0]: must be a path inside the project'],
    ['cache path leaving the project', { image: IMAGE, cache: { paths: ['ok/', 'a/../../x'] } }, 'cache.paths[1]: must be a path inside the project'],
    ['three key files', { image: IMAGE, cache: { key: { files: ['a', 'b', 'c'] }, paths: ['x/'] } }, 'cache.key.files: at most two files (GitLab uses only the first two)'],
    ['no key files', { image: IMAGE, cache: { key: { files: [] }, paths: ['x/'] } }, 'cache.key.files: list at least one file'],
    ['key object without files', { image: IMAGE, cache: { key: { prefix: 'p' }, paths: ['x/'] } }, 'cache.key.files: required'],
    ['empty string key', { image: IMAGE, cache: { key: '', paths: ['x/'] } }, 'cache.key: must be a cache key, not empty'],
    ['key of the wrong type', { image: IMAGE, cache: { key: 3, paths: ['x/'] } }, 'cache.key: must be a string or {files, prefix}'],
    ['unknown key field', { image: IMAGE, cache: { key: { files: ['a'], sha: 'x' }, paths: ['x/'] } }, 'cache.key: unknown field "sha"'],
    ['unknown cache field', { image: IMAGE, cache: { paths: ['x/'], policy: 'pull' } }, 'cache: unknown field "policy"'],
    ['missing image', {}, 'image: must be an image reference'],
    ['empty image', { image: '' }, 'image: must be an image reference, not empty'],
    ['uppercase image', { image: 'Registry.internal/Duo/Agent' }, 'image: must be a valid image reference'],
    ['image with a scheme', { image: 'https://registry.internal.example.com/duo/agent' }, 'image: must be a valid image reference'],
    ['image with spaces', { image: 'duo agent' }, 'image: must be a valid image reference'],
    ['setup script not a list', { image: IMAGE, setupScript: 'apk add git' }, 'setupScript: must be a list of commands'],
    ['empty command', { image: IMAGE, setupScript: ['ok', ''] }, 'setupScript[1]: must be a command, not empty'],
    ['unknown top-level field', { image: IMAGE, variables: {} }, '(root): unknown field "variables"'],
    ['not an object', 'image: x', '(root): must be an object with image and optionally setupScript and cache'],
  ])('%s', (_name, input, message) => {
    const err = usageError(() => validateAgentConfig(input, 'request.agentConfig'));
    expect(err.message).toContain(`request.agentConfig: ${message}`);
    expect(err.hint).toBeTruthy();
  });

  it('returns the checked configuration', () => {
    const input = { image: IMAGE, cache: { key: { files: ['a', 'b'] }, paths: ['x/'] } };
    expect(validateAgentConfig(input, 'w')).toEqual(input);
  });
});

describe('runnerChecklist', () => {
  const text = (items: { text: string; detail?: string }[]) => items.map((i) => `${i.text} ${i.detail ?? ''}`).join('\n');

  it('custom image: gitlab--duo tag, the image by name, no privileged mode, isolation from the runner, Git 2.43.7', () => {
    const items = runnerChecklist({ image: IMAGE, customImage: true });
    const all = text(items);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(all).toContain('gitlab--duo');
    expect(items.find((i) => i.id === 'image-pull')!.text).toContain(IMAGE);
    expect(items.find((i) => i.id === 'privileged')!.text).toMatch(/not required/);
    expect(all).toMatch(/sandbox is not applied/);
    expect(all).toMatch(/network controls on the runner/);
    expect(all).toContain('2.43.7');
    expect(all).toContain('587996');
    expect(all).toMatch(/git and npm/);
    expect(all).toMatch(/shell executor is not supported/);
    expect(all).toContain('duo_runner_restrictions');
    expect(all).toMatch(/top-level group/);
    expect(all).toMatch(/GitLab instance/);
  });

  it('default image: privileged mode required for the sandbox; no custom-image items', () => {
    const items = runnerChecklist({ image: 'registry.internal.example.com/duo/default-image:v1', customImage: false });
    const privileged = items.find((i) => i.id === 'privileged')!;
    expect(privileged.text).toContain('privileged = true');
    expect(privileged.text).not.toMatch(/not required/);
    expect(items.map((i) => i.id)).not.toContain('git-version');
    expect(text(items)).toContain('gitlab--duo');
    expect(text(items)).toContain('registry.internal.example.com/duo/default-image:v1');
  });
});
