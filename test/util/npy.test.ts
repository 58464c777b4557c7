// numpy's .npy/.npz files against numpy itself: arrays numpy writes are read back exactly, arrays we write are
// read by numpy with the values it expects, and every malformed file is one UsageError naming the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeNpy, parseNpz, readArrayFile, readNpy, readNpz, toFloat32, writeNpy, writeNpz, type NpyArray } from '../../src/util/npy.js';
import { UsageError } from '../../src/util/errors.js';
import { PYTHON, runPython } from '../support/python.js';

const dir = mkdtempSync(join(tmpdir(), 'qdistill-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const python = (script: string): string => runPython(script, dir);

/** Element values as JSON can carry them exactly: numbers, and 64-bit integers as decimal strings. */
function valuesOf(a: NpyArray): (number | string)[] {
  return Array.from(a.data as ArrayLike<number | bigint | string>, (v) => (typeof v === 'bigint' ? v.toString() : v));
}

// Each case: a numpy dtype, a shape and the expression numpy fills it with (n = number of elements).
const CASES = [
  { name: 'f4_2d', dtype: 'float32', shape: [5, 4], fill: 'np.arange(n) * 1.37 - 5' },
  { name: 'f8_1d', dtype: 'float64', shape: [7], fill: 'np.arange(n) / 3 - 1e300 * (np.arange(n) == 0)' },
  { name: 'f2_2d', dtype: 'float16', shape: [2, 3], fill: 'np.array([0.5, -2.25, 65504, 6e-8, -0.0, 1/3])' },
  { name: 'f4_3d', dtype: 'float32', shape: [2, 3, 4], fill: 'np.sin(np.arange(n))' },
  { name: 'f4_empty', dtype: 'float32', shape: [0, 4], fill: 'np.zeros(0)' },
  { name: 'f8_scalar', dtype: 'float64', shape: [], fill: 'np.array(2.5)' },
  { name: 'i1', dtype: 'int8', shape: [4], fill: 'np.array([-128, -1, 0, 127])' },
  { name: 'i2', dtype: 'int16', shape: [2, 2], fill: 'np.array([-32768, -2, 3, 32767])' },
  { name: 'i4', dtype: 'int32', shape: [3], fill: 'np.array([-2**31, 0, 2**31 - 1])' },
  { name: 'i8', dtype: 'int64', shape: [3], fill: 'np.array([-2**63, 2**53 + 1, 2**63 - 1])' },
  { name: 'u1', dtype: 'uint8', shape: [3], fill: 'np.array([0, 1, 255])' },
  { name: 'u2', dtype: 'uint16', shape: [2], fill: 'np.array([0, 65535])' },
  { name: 'u4', dtype: 'uint32', shape: [2], fill: 'np.array([0, 2**32 - 1])' },
  { name: 'u8', dtype: 'uint64', shape: [2], fill: 'np.array([0, 2**64 - 1], dtype=np.uint64)' },
  { name: 'b1', dtype: 'bool', shape: [5], fill: 'np.array([True, False, True, True, False])' },
  { name: 'be_f4', dtype: '>f4', shape: [2, 2], fill: 'np.array([1.5, -3.25, 1e-30, 7])' },
  { name: 'be_i8', dtype: '>i8', shape: [2], fill: 'np.array([-5, 2**40 + 3])' },
  { name: 'be_f8', dtype: '>f8', shape: [3], fill: 'np.array([0.1, -0.2, 1e200])' },
] as const;

const MAKE_CASES = `
import json, numpy as np
cases = ${JSON.stringify(CASES)}
arrays, expected = {}, {}
for c in cases:
    n = int(np.prod(c['shape']))
    a = eval(c['fill'], {'np': np, 'n': n}).astype(c['dtype']).reshape(c['shape'])
    arrays[c['name']] = a
    np.save(c['name'] + '.npy', a)
    values = a.ravel().tolist()
    if a.dtype.kind in 'iu' and a.dtype.itemsize == 8:
        values = [str(v) for v in values]
    name = a.dtype.newbyteorder('=').name if a.dtype.byteorder == '>' else a.dtype.name
    expected[c['name']] = {'dtype': name, 'shape': list(a.shape), 'values': values}
np.savez('stored.npz', **arrays)
np.savez_compressed('deflated.npz', **arrays)
json.dump(expected, open('expected.json', 'w'))
`;

test('arrays numpy writes (np.save, np.savez, np.savez_compressed) in every accepted dtype and several shapes are read back exactly', () => {
  python(MAKE_CASES);
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; values: (number | string | boolean)[] }>;
  const check = (name: string, a: NpyArray, where: string) => {
    const e = expected[name];
    assert.equal(a.dtype, e.dtype, `${where}: dtype`);
    assert.deepEqual(a.shape, e.shape, `${where}: shape`);
    const want = e.values.map((v) => (typeof v === 'boolean' ? Number(v) : v));
    const got = valuesOf(a);
    assert.equal(got.length, want.length, `${where}: length`);
    // Object.is: -0 and 0 differ, as numpy keeps them apart.
    got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `${where}[${i}]: ${v} ≠ ${want[i]}`));
  };
  for (const c of CASES) check(c.name, readNpy(join(dir, `${c.name}.npy`)), `${c.name}.npy`);
  for (const file of ['stored.npz', 'deflated.npz']) {
    const arrays = readNpz(join(dir, file));
    assert.deepEqual([...arrays.keys()], CASES.map((c) => c.name), file);
    for (const c of CASES) check(c.name, arrays.get(c.name)!, `${file}:${c.name}`);
    assert.equal(readArrayFile(join(dir, file)).format, 'npz');
  }
  assert.equal(readArrayFile(join(dir, 'f4_2d.npy')).format, 'npy');
  // float32 of the widened float16 and of the float64 values, as the observations reader takes them.
  assert.deepEqual([...toFloat32(readNpy(join(dir, 'i8.npy')), 'i8')], [-(2 ** 63), 2 ** 53, 2 ** 63].map(Math.fround));
});

test('format 2.0 and 3.0 headers (np.lib.format.write_array with version=…) are read too', () => {
  python(`
import numpy as np
a = np.arange(6, dtype=np.float32).reshape(2, 3)
for v in [(2, 0), (3, 0)]:
    with open('v%d.npy' % v[0], 'wb') as f:
        np.lib.format.write_array(f, a, version=v)
`);
  for (const v of [2, 3]) assert.deepEqual([...(readNpy(join(dir, `v${v}.npy`)).data as Float32Array)], [0, 1, 2, 3, 4, 5]);
});

test('files we write are read by numpy: dtypes, shapes, values, 64-byte aligned data, a stored zip', () => {
  const n = 24;
  const f32 = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
  writeNpy(join(dir, 'ours_f32.npy'), { shape: [2, 3, 4], data: f32 });
  writeNpy(join(dir, 'ours_scalar.npy'), { shape: [], data: Float64Array.of(-1.25) });
  writeNpz(join(dir, 'ours.npz'), {
    observations: { shape: [6, 4], data: f32 },
    actions: { shape: [6], data: BigInt64Array.from([0n, 1n, 1n, 0n, -(2n ** 63n), 2n ** 63n - 1n]) },
    terminated: { shape: [6], data: Uint8Array.of(0, 0, 1, 0, 0, 1), dtype: 'bool' },
    rewards: { shape: [6], data: Float64Array.of(1, 1, 1, 0.5, 1e300, -0) },
    counts: { shape: [3], data: Int32Array.of(-7, 0, 2 ** 31 - 1) },
    small: { shape: [2], data: Uint16Array.of(1, 65535) },
    meta: { shape: [], data: ['{"env": "CartPole-v1", "π": 3}'] },
    empty: { shape: [0, 2], data: new Float32Array(0) },
  });
  const out = python(`
import json, zipfile, numpy as np
a = np.load('ours_f32.npy')
assert a.dtype == np.float32 and a.shape == (2, 3, 4), (a.dtype, a.shape)
assert np.array_equal(a.ravel(), (np.arange(24) * 0.5 - 3).astype(np.float32))
with open('ours_f32.npy', 'rb') as f:
    assert np.lib.format.read_magic(f) == (1, 0)
    np.lib.format.read_array_header_1_0(f)
    assert f.tell() % 64 == 0, f.tell()
s = np.load('ours_scalar.npy')
assert s.shape == () and s.dtype == np.float64 and s == -1.25
d = np.load('ours.npz')
assert d.files == ['observations', 'actions', 'terminated', 'rewards', 'counts', 'small', 'meta', 'empty'], d.files
assert d['observations'].shape == (6, 4) and np.array_equal(d['observations'].ravel(), a.ravel())
assert d['actions'].dtype == np.int64 and d['actions'].tolist() == [0, 1, 1, 0, -2**63, 2**63 - 1]
assert d['terminated'].dtype == np.bool_ and d['terminated'].tolist() == [False, False, True, False, False, True]
assert d['rewards'].dtype == np.float64 and d['rewards'].tolist() == [1, 1, 1, 0.5, 1e300, 0] and np.signbit(d['rewards'][5])
assert d['counts'].dtype == np.int32 and d['counts'].tolist() == [-7, 0, 2**31 - 1]
assert d['small'].dtype == np.uint16 and d['small'].tolist() == [1, 65535]
assert d['meta'].shape == () and json.loads(str(d['meta'])) == {'env': 'CartPole-v1', 'π': 3}
assert d['empty'].shape == (0, 2) and d['empty'].dtype == np.float32
assert all(i.compress_type == zipfile.ZIP_STORED for i in zipfile.ZipFile('ours.npz').infolist())
print('ok')
`);
  assert.equal(out.trim(), 'ok');
  // And back: the same arrays through our reader.
  const back = readNpz(join(dir, 'ours.npz'));
  assert.deepEqual(back.get('meta')!.data, ['{"env": "CartPole-v1", "π": 3}']);
  assert.deepEqual([...(back.get('terminated')!.data as Uint8Array)], [0, 0, 1, 0, 0, 1]);
  assert.equal(back.get('terminated')!.dtype, 'bool');
  assert.deepEqual(encodeNpy({ shape: [3], data: Int32Array.of(1, 2, 3) }).length % 64, 12 % 64);
});

/** A UsageError, on one line, naming the file and matching `what`. */
function assertRefused(fn: () => unknown, file: string, what: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    assert.ok(error.message.includes(file), `does not name ${file}: ${error.message}`);
    assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    assert.match(error.message, what);
    return true;
  });
}

/** A .npy file with this header dict (padded as numpy pads) and this many data bytes. */
function handMade(name: string, dict: string, dataBytes: number, version = 1): string {
  const preamble = version === 1 ? 10 : 12;
  const length = Math.ceil((preamble + dict.length + 1) / 64) * 64 - preamble;
  const head = Buffer.alloc(preamble + length, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(length, 8);
  else head.writeUInt32LE(length, 8);
  head.write(dict, preamble, 'latin1');
  head[head.length - 1] = 0x0a;
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([head, Buffer.alloc(dataBytes)]));
  return path;
}

test('malformed headers, truncated data, object and structured dtypes, fortran order: one UsageError each, naming the file', () => {
  python(`
import numpy as np
np.save('object.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save('structured.npy', np.zeros(3, dtype=[('x', '<f4'), ('y', '<i4')]))
np.save('complex.npy', np.zeros(3, dtype=np.complex64))
np.save('whole.npy', np.arange(10, dtype=np.float32))
np.save('fortran_1d.npy', np.asfortranarray(np.arange(3, dtype=np.float32)))
`);
  const whole = readFileSync(join(dir, 'whole.npy'));
  writeFileSync(join(dir, 'truncated.npy'), whole.subarray(0, whole.length - 5));
  writeFileSync(join(dir, 'trailing.npy'), Buffer.concat([whole, Buffer.alloc(4)]));
  writeFileSync(join(dir, 'header-cut.npy'), whole.subarray(0, 40));
  writeFileSync(join(dir, 'magic.npy'), Buffer.concat([Buffer.from('\x93NUMPX', 'latin1'), whole.subarray(6)]));
  const v4 = Buffer.from(whole);
  v4[6] = 4;
  writeFileSync(join(dir, 'v4.npy'), v4);
  const refusals: [string, RegExp][] = [
    [join(dir, 'object.npy'), /dtype '\|O' is object/],
    [join(dir, 'fortran.npy'), /fortran_order is True/],
    [join(dir, 'structured.npy'), /structured dtype/],
    [join(dir, 'complex.npy'), /dtype '<c8' is not read \(accepted: f2, f4/],
    [join(dir, 'truncated.npy'), /truncated: shape \(10\) of float32 needs 40 bytes of data, the file has 35/],
    [join(dir, 'trailing.npy'), /4 bytes after the data/],
    [join(dir, 'header-cut.npy'), /header .* runs past the end/],
    [join(dir, 'magic.npy'), /not start with \\x93NUMPY/],
    [join(dir, 'v4.npy'), /format version 4\.0/],
    [handMade('no-shape.npy', "{'descr': '<f4', 'fortran_order': False, }", 0), /keys 'descr', 'fortran_order'; expected exactly/],
    [handMade('extra-key.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", 8), /cannot read the value of 'x'/],
    [handMade('extra-str-key.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 'y', }", 8), /keys 'descr', 'fortran_order', 'shape', 'x'/],
    [handMade('not-dict.npy', "['descr', '<f4']", 0), /expected '\{'/],
    [handMade('negative.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 0), /'shape' holds something other than non-negative integers/],
    [handMade('int-shape.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", 8), /an integer, not a tuple/],
    [handMade('no-order.npy', "{'descr': 'f4', 'fortran_order': False, 'shape': (2,), }", 8), /has no byte order/],
    [handMade('fortran-str.npy', "{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }", 8), /'fortran_order' is not True or False/],
    [handMade('after.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8), /text after the dict/],
    [handMade('huge.npy', "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }", 8), /too large/],
  ];
  for (const [file, what] of refusals) assertRefused(() => readNpy(file), file, what);
  // Order does not matter for a 1-d array: numpy's own fortran_order True there is read.
  assert.deepEqual([...(readNpy(join(dir, 'fortran_1d.npy')).data as Float32Array)], [0, 1, 2]);
  // A version 2.0 header written by hand parses like 1.0.
  assert.deepEqual(readNpy(handMade('v2-hand.npy', "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", 6, 2)).shape, [3]);
});

test('broken .npz files: a corrupt member, a truncated zip, a member that is not .npy, no arrays: one UsageError each', () => {
  python(`
import numpy as np, zipfile
np.savez('good.npz', a=np.arange(100, dtype=np.float32), b=np.ones(3))
np.savez_compressed('good_deflated.npz', a=np.arange(1000, dtype=np.float32))
np.savez('empty.npz')
with zipfile.ZipFile('other.npz', 'w') as z:
    z.writestr('notes.txt', 'hello')
with zipfile.ZipFile('inner.npz', 'w') as z:
    z.writestr('a.npy', b'\\x93NUMPX' + bytes(100))
`);
  const good = readFileSync(join(dir, 'good.npz'));
  const corrupt = Buffer.from(good);
  corrupt[good.indexOf(Buffer.from('NUMPY')) + 200] ^= 0xff;
  writeFileSync(join(dir, 'corrupt.npz'), corrupt);
  writeFileSync(join(dir, 'cut.npz'), good.subarray(0, good.length - 30));
  const deflated = readFileSync(join(dir, 'good_deflated.npz'));
  const badStream = Buffer.from(deflated);
  for (let i = 60; i < 90; i++) badStream[i] ^= 0x5a;
  writeFileSync(join(dir, 'bad-stream.npz'), badStream);
  const refusals: [string, RegExp][] = [
    [join(dir, 'corrupt.npz'), /member 'a\.npy' fails its CRC-32 check/],
    [join(dir, 'cut.npz'), /no end of central directory|runs past the end/],
    [join(dir, 'bad-stream.npz'), /member 'a\.npy' (does not inflate|inflates to|fails its CRC-32)/],
    [join(dir, 'empty.npz'), /holds no arrays/],
    [join(dir, 'other.npz'), /member 'notes\.txt' is not a \.npy array/],
  ];
  for (const [file, what] of refusals) assertRefused(() => readNpz(file), file, what);
  // A member whose .npy is bad (its CRC right) names the member as well as the file.
  assertRefused(() => parseNpz(readFileSync(join(dir, 'inner.npz')), 'inner.npz'), 'inner.npz: a.npy', /not a valid \.npy array: it does not start with \\x93NUMPY/);
  // The inflated size is bounded before anything is inflated.
  assertRefused(() => readNpz(join(dir, 'good_deflated.npz'), { maxBytes: 2000 }), 'good_deflated.npz', /inflate to more than the limit of 2000 bytes/);
});

test('what is not a regular file, or is over the limit, is refused before it is read: a folder, a FIFO, /dev/zero, a missing file', () => {
  const folder = join(dir, 'a-folder.npy');
  mkdirSync(folder);
  assertRefused(() => readNpy(folder), folder, /is a folder, not a file/);
  const fifo = join(dir, 'fifo.npy');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // Would block forever if it were opened for reading as a file.
  assertRefused(() => readNpy(fifo), fifo, /is a named pipe, not a file/);
  assertRefused(() => readArrayFile('/dev/zero'), '/dev/zero', /is a device, not a file/);
  assertRefused(() => readNpy(join(dir, 'missing.npy')), 'missing.npy', /no such file/);
  assertRefused(() => readNpy(join(dir, 'whole.npy'), { maxBytes: 100 }), 'whole.npy', /larger than the 100 bytes qdistill reads/);
  writeFileSync(join(dir, 'text.npy'), 'hello');
  assertRefused(() => readArrayFile(join(dir, 'text.npy')), 'text.npy', /neither a \.npy file/);
});
