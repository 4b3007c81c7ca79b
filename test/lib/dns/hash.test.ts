import { describe, expect, it } from 'vitest';

import { taskHash } from '../../../src/lib/dns/hash.js';

describe('taskHash', () => {
  it('is zbase32(sha1(id)) cut to 5 characters, as Mesos-DNS', () => {
    expect(taskHash('test')).toBe('iffe9');
    expect(taskHash('liquor-store.b8db9f73-562f-11e4-a088-c20493233aa5')).toBe('4dfjd');
    expect(taskHash('liquor-store.b71166c1-562f-11e4-a088-c20493233aa5')).toBe('zasmd');
  });

  it('uses only the zbase32 alphabet and rarely collides', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const hash = taskHash(`app.${i}`);
      expect(hash).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{5}$/);
      seen.add(hash);
    }
    expect(seen.size).toBeGreaterThan(1990);
  });
});
