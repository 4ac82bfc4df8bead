import { describe, expect, it } from 'vitest';
import { isPrismError } from '../core/errors.js';
import { resolveSettings } from './settings.js';

describe('resolveSettings: flags, then PRISM_AMI_* variables, then the config file, then defaults', () => {
  it('applies every default with nothing given', () => {
    const s = resolveSettings({ env: {} });
    expect(s).toMatchObject({
      templatesDir: 'templates',
      provider: 'aws',
      registry: 'ami-registry.json',
      publishSsm: undefined,
      region: undefined,
      copyTo: [],
      concurrency: 4,
      copyConcurrency: 8,
      lockTimeoutMs: 30_000,
      aws: { imageTimeoutMinutes: 60, readyTimeoutMinutes: 15, instanceProfileWaitSeconds: 60 },
      buildMinutesEstimate: 30,
      retestMinutesEstimate: 5,
      pinnedImages: [],
      lintDisable: [],
    });
    expect(s.local.cacheDir).toBe('/var/cache/prism-ami/bases');
    expect(s.local.ubuntuPortsMirror).toBe('http://ports.ubuntu.com/ubuntu-ports');
  });

  it('the registry: --registry, then PRISM_AMI_REGISTRY, then the config, then ./ami-registry.json', () => {
    const env = { PRISM_AMI_REGISTRY: 's3://env-bucket/r.json' };
    const config = { registry: '/etc/prism/registry.json' };
    expect(resolveSettings({ registry: 'file:flag.json', env, config }).registry).toBe('file:flag.json');
    expect(resolveSettings({ env, config }).registry).toBe('s3://env-bucket/r.json');
    expect(resolveSettings({ env: { PRISM_AMI_REGISTRY: '' }, config }).registry).toBe('/etc/prism/registry.json');
    expect(resolveSettings({ env: {} }).registry).toBe('ami-registry.json');
  });

  it('local folders and mirrors: PRISM_AMI_* beats the config file', () => {
    const config = { local: { cacheDir: '/from/file', ubuntuMirror: 'http://file.example/ubuntu' } };
    const env = { PRISM_AMI_LOCAL_CACHE_DIR: '/from/env' };
    const s = resolveSettings({ env, config });
    expect(s.local.cacheDir).toBe('/from/env');
    expect(s.local.ubuntuMirror).toBe('http://file.example/ubuntu');
    expect(s.local.ubuntuPortsMirror).toBe('http://file.example/ubuntu');
  });

  it('flags beat the file; AWS_REGION only fills in when neither names a region', () => {
    const config = { region: 'us-west-2', concurrency: 2, templatesDir: '/repo/t' };
    const env = { AWS_REGION: 'eu-west-1' };
    expect(resolveSettings({ env, config })).toMatchObject({
      region: 'us-west-2',
      envRegion: 'eu-west-1',
      concurrency: 2,
      templatesDir: '/repo/t',
    });
    expect(resolveSettings({ env, config, region: 'us-east-2', concurrency: 6, templatesDir: 'x' })).toMatchObject({
      region: 'us-east-2',
      concurrency: 6,
      templatesDir: 'x',
    });
    expect(resolveSettings({ env }).region).toBeUndefined();
    expect(resolveSettings({ env }).knownRegions).toEqual(['eu-west-1']);
  });

  it('--publish-ssm: the flag, else the config; true is /prism/ami; --no-publish-ssm turns it off; bad prefixes are USAGE errors', () => {
    expect(resolveSettings({ env: {} }).publishSsm).toBeUndefined();
    expect(resolveSettings({ env: {}, publishSsm: true }).publishSsm).toBe('/prism/ami');
    expect(resolveSettings({ env: {}, config: { publishSsm: '/team/images' } }).publishSsm).toBe('/team/images');
    expect(resolveSettings({ env: {}, publishSsm: false, config: { publishSsm: true } }).publishSsm).toBeUndefined();
    for (const bad of ['prism/ami', '/prism/ami/', '/aws/ami']) {
      const error = (() => {
        try {
          resolveSettings({ env: {}, publishSsm: bad });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isPrismError(error, 'USAGE'), bad).toBe(true);
    }
  });
});
