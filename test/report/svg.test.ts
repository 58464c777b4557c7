import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalBytes } from '../../src/pipelines/report/plots.js';
import { escapeXml, linearScale, logScale, niceStep } from '../../src/pipelines/report/svg.js';
import { shortLabels } from '../../src/pipelines/report/labels.js';

test('linear scales widen to round ticks and map the domain onto the pixel range', () => {
  assert.equal(niceStep(97, 5), 20);
  assert.equal(niceStep(0.7, 5), 0.2);
  const s = linearScale(3, 97, [300, 0]);
  assert.deepEqual(s.ticks, [0, 20, 40, 60, 80, 100]);
  assert.deepEqual([s.map(0), s.map(50), s.map(100)], [300, 150, 0]);
  // Negative returns (Acrobot): the ticks still include zero only when inside.
  assert.deepEqual(linearScale(-480, -62, [0, 1]).ticks, [-500, -400, -300, -200, -100, 0]);
  // A single value (CartPole: every episode 500) still gets an axis around it.
  const flat = linearScale(500, 500, [0, 100]);
  assert.ok(flat.domain[0] < 500 && flat.domain[1] > 500 && flat.map(500) === 50);
});

test('log scales cover whole decades: 3,263 and 272,189 bytes lie between 1 kB and 1 MB', () => {
  const s = logScale(3263, 272_189, [0, 300], decimalBytes);
  assert.deepEqual(s.domain, [1e3, 1e6]);
  assert.deepEqual(s.ticks, [1e3, 1e4, 1e5, 1e6]);
  assert.ok(Math.abs(s.map(1e4) - 100) < 1e-9 && Math.abs(s.map(1e5) - 200) < 1e-9);
  assert.deepEqual(s.ticks.map(s.format), ['1 kB', '10 kB', '100 kB', '1 MB']);
  // Within two decades there are 1-2-5 ticks.
  assert.deepEqual(logScale(12, 80, [0, 1]).ticks, [10, 20, 50, 100]);
});

test('strings placed in SVG and HTML are escaped', () => {
  assert.equal(escapeXml(`<img src="x" onerror='y'>&`), '&lt;img src=&quot;x&quot; onerror=&#39;y&#39;&gt;&amp;');
});

test('labels are the last two path parts, longer where needed to tell files apart', () => {
  assert.deepEqual(shortLabels(['models/cartpole-v1/teacher.onnx', 'runs/a/student.onnx']), ['cartpole-v1/teacher.onnx', 'a/student.onnx']);
  assert.deepEqual(shortLabels(['x/a/s.onnx', 'y/a/s.onnx']), ['x/a/s.onnx', 'y/a/s.onnx']);
  assert.deepEqual(shortLabels(['m.onnx', 'm.onnx']), ['m.onnx', 'm.onnx #2']);
});
