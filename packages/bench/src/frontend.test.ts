import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gzipSum } from './frontend';

describe('gzipSum', () => {
  it('adds the raw and the gzipped size of each file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-gzip-'));
    try {
      const a = join(dir, 'a.js');
      const b = join(dir, 'b.js');
      writeFileSync(a, 'export const a = 1;\n'.repeat(200));
      writeFileSync(b, 'export const b = "x";\n');
      const { rawBytes, gzipBytes } = gzipSum([a, b]);
      expect(rawBytes).toBe(20 * 200 + 22);
      const expected =
        gzipSync('export const a = 1;\n'.repeat(200), { level: 9 }).length +
        gzipSync('export const b = "x";\n', { level: 9 }).length;
      expect(gzipBytes).toBe(expected);
      expect(gunzipSync(gzipSync('ok')).toString()).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
