import { describe, expect, it } from 'vitest';

import { linkLeavesSandbox } from '../../../../src/lib/local/executor/sandbox-fs.js';

describe('linkLeavesSandbox', () => {
  it('judges a link by where its text points from where it sits', () => {
    const cases: Array<[string, string, boolean]> = [
      ['link', 'file', false],
      ['link', '.', false],
      ['a/b/link', '../../c', false],
      ['a/link', '../b/../c', false],
      ['link', '..', true],
      ['a/b/link', '../../..', true],
      ['a/link', '../../sandbox-sibling', true],
      ['link', '/etc/passwd', true],
      ['link', '/', true],
    ];
    for (const [link, target, leaves] of cases)
      expect(linkLeavesSandbox(link, target), `${link} -> ${target}`).toBe(leaves);
  });
});
