import { describe, expect, it } from 'vitest';

import { oneLine } from '../../../src/lib/cli/error-output.js';

describe('oneLine (oclif parser messages)', () => {
  it('keeps a one-line message and drops the "See more help" hint', () => {
    expect(oneLine('Nonexistent flag: --nope\nSee more help with --help')).toBe('Nonexistent flag: --nope');
  });

  it('folds the list of missing arguments into the line', () => {
    const message =
      'Missing 1 required arg:\ncluster  cluster name, id or unique id prefix\nSee more help with --help';
    expect(oneLine(message)).toBe('Missing 1 required arg: cluster (cluster name, id or unique id prefix)');
  });

  it('keeps only the reasons of "The following error occurred", without colour codes', () => {
    const message =
      'The following errors occurred:\n  \u001b[2m--a=x cannot also be provided when using --b\n  --c is required\u001b[22m\nSee more help with --help';
    expect(oneLine(message)).toBe('--a=x cannot also be provided when using --b; --c is required');
  });
});
