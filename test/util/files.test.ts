import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { UsageError } from '../../src/util/errors.js';
import { readBundle, writeBundle } from '../../src/util/tensor-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('writeFileAtomic replaces the file whole and leaves no temporary file', () => {
  const path = join(dir, 'a.txt');
  writeFileSync(path, 'old contents');
  writeFileAtomic(path, [Buffer.from('new '), Buffer.from('contents')]);
  assert.equal(readFileSync(path, 'utf8'), 'new contents');
  assert.deepEqual(readdirSync(dir), ['a.txt']);
});

test('bundle: typed arrays and metadata round-trip, odd lengths included', () => {
  const path = join(dir, 'b.qdb');
  const arrays = {
    f32: Float32Array.from([1.5, -2, 3]),
    f64: Float64Array.from([Math.PI]),
    i32: Int32Array.from([-7, 8, 9, 10, 11]),
    u8: Uint8Array.from([1, 2, 3]),
    empty: new Float32Array(0),
  };
  writeBundle(path, { meta: { step: 42, name: 'x' }, arrays });
  const read = readBundle<{ step: number; name: string }>(path);
  assert.deepEqual(read.meta, { step: 42, name: 'x' });
  for (const [name, array] of Object.entries(arrays)) {
    assert.equal(read.arrays[name].constructor, array.constructor);
    assert.deepEqual([...read.arrays[name]], [...array]);
  }
});

test('bundle: a truncated or foreign file is a clear error, not garbage', () => {
  const path = join(dir, 'c.qdb');
  writeBundle(path, { meta: {}, arrays: { x: new Float32Array(100) } });
  truncateSync(path, 200);
  assert.throws(() => readBundle(path), (e: Error) => e instanceof UsageError && /array 'x' runs past the end/.test(e.message));
  writeFileSync(path, 'hello world, not a bundle');
  assert.throws(() => readBundle(path), /wrong magic/);
});
