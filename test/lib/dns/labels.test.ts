import { describe, expect, it } from 'vitest';

import { domainFrag, rfc1123, rfc952 } from '../../../src/lib/dns/labels.js';

// Golden cases of Mesos-DNS records/labels/labels_test.go.
const COMMON: Record<string, string> = {
  '': '',
  a: 'a',
  '-': '',
  'a---': 'a',
  '---a---': 'a',
  '---a---b': 'a---b',
  'a.b.c.d.e': 'a-b-c-d-e',
  'a.c.d_de.': 'a-c-d-de',
  abc123: 'abc123',
  '-abc123': 'abc123',
  'abc123-': 'abc123',
  'abc-123': 'abc-123',
  'abc--123': 'abc--123',
  'r29f.dev.angrypigs': 'r29f-dev-angrypigs',
  ['hello' + '-'.repeat(58) + 'f']: 'hellof',
};

const RFC952: Record<string, string> = {
  ...COMMON,
  '4abc123': 'abc123',
  '-4abc123': 'abc123',
  'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg---123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg-': 'fdgsf---gs7-fgs--d7fddg',
  'chronos with a space AND MIXED CASE-2.0.1': 'chronoswithaspaceandmixe',
  'chronos with a space AND----------MIXED--': 'chronoswithaspaceandmixe',
  ['hello' + '-'.repeat(56) + 'f']: 'hellof',
};

const RFC1123: Record<string, string> = {
  ...COMMON,
  '4abc123': '4abc123',
  '-4abc123': '4abc123',
  '89fdgsf---gs7-fgs--d7fddg-123': '89fdgsf---gs7-fgs--d7fddg-123',
  '89fdgsf---gs7-fgs--d7fddg---123': '89fdgsf---gs7-fgs--d7fddg---123',
  '89fdgsf---gs7-fgs--d7fddg-': '89fdgsf---gs7-fgs--d7fddg',
  'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg-123',
  'fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '$$fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '%%fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789---123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-':
    'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789',
  ['hello' + '-'.repeat(56) + 'f']: 'hello' + '-'.repeat(56) + 'f',
};

const DOMAIN_FRAG: Record<string, string> = {
  '': '',
  '.': '',
  '..': '',
  '...': '',
  a: 'a',
  abc: 'abc',
  'abc.': 'abc',
  '.abc': 'abc',
  'a.c': 'a.c',
  '.a.c': 'a.c',
  'a.c.': 'a.c',
  'a..c': 'a.c',
  'ab.c': 'ab.c',
  'ab.cd': 'ab.cd',
  'ab.cd.efg': 'ab.cd.efg',
  'a.c.e': 'a.c.e',
  'a..c.e': 'a.c.e',
  'a.c..e': 'a.c.e',
  'host.com': 'host.com',
  'space space.com': 'spacespace.com',
  'blah-dash.com': 'blah-dash.com',
  'not$1234.com': 'not1234.com',
  '(@ host . com': 'host.com',
  'MiXeDcase.CoM': 'mixedcase.com',
};

describe('RFC 952 labels', () => {
  it.each(Object.entries(RFC952))('%j -> %j', (input, want) => {
    expect(rfc952(input)).toBe(want);
  });
});

describe('RFC 1123 labels', () => {
  it.each(Object.entries(RFC1123))('%j -> %j', (input, want) => {
    expect(rfc1123(input)).toBe(want);
  });

  it('drops non-ASCII and keeps the refill quirk for a 64-character run of dashes', () => {
    expect(rfc1123('Ünïcode_Näme')).toBe('ncode-nme');
    expect(rfc1123('hello' + '-'.repeat(58) + 'f')).toBe('hellof');
  });

  it('never starts with a dash nor exceeds 63 (24) characters, and uses only [0-9a-z-]', () => {
    const samples = ['x'.repeat(100), '-'.repeat(70) + 'ab', '9'.repeat(30) + 'abc', 'A_B.C-D '.repeat(20)];
    for (const sample of samples) {
      for (const [fn, max] of [
        [rfc1123, 63],
        [rfc952, 24],
      ] as const) {
        const label = fn(sample);
        expect(label.length).toBeLessThanOrEqual(max);
        expect(label).toMatch(/^[0-9a-z-]*$/);
        expect(label.startsWith('-')).toBe(false);
      }
      expect(rfc952(sample)).not.toMatch(/^[0-9]/);
    }
  });
});

describe('DomainFrag', () => {
  it.each(Object.entries(DOMAIN_FRAG))('%j -> %j under both specs', (input, want) => {
    expect(domainFrag(input, rfc1123)).toBe(want);
    expect(domainFrag(input, rfc952)).toBe(want);
  });

  it('keeps framework dots; RFC 952 drops digit-led parts', () => {
    expect(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc952)).toBe(
      'pod-123abc.marathon-0.dev.mesos',
    );
    expect(domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc1123)).toBe(
      'pod-123abc.marathon-0.6.0-dev.mesos',
    );
    expect(domainFrag('marathon-0.6.0-dev', rfc1123)).toBe('marathon-0.6.0-dev');
    expect(domainFrag('marathon-0.6.0-dev', rfc952)).toBe('marathon-0.dev');
    expect(domainFrag('chronos with a space AND MIXED CASE-2.0.1', rfc1123)).toBe(
      'chronoswithaspaceandmixedcase-2.0.1',
    );
    expect(domainFrag('chronos with a space AND MIXED CASE-2.0.1', rfc952)).toBe('chronoswithaspaceandmixe');
  });
});
