import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deriveSeed } from '../../src/envs/rng.js';
import { makeEnv } from '../../src/envs/registry.js';
import { openPolicy } from '../../src/infer/open.js';
import { readModelFile } from '../../src/onnx/model.js';
import { AGREEMENT_SEED, AGREEMENT_STATES } from '../../src/pipelines/compare.js';
import { chromiumUnavailableReason, launchChromium } from '../../src/util/chromium.js';
import { ortOutputs } from '../support/ort-outputs.js';
import { runCli } from '../cli/run-cli.js';
import { visitedStates } from '../../src/rollout/visited-states.js';
import { type CompareReport } from '../../src/pipelines/report/types.js';

const TEACHER = 'models/cartpole-v1/teacher.onnx';
const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const EPISODES = 5;
const dir = mkdtempSync(join(tmpdir(), 'qdistill-compare-'));
// A copy of the student under a folder whose name is markup: the report must show it as text.
const HOSTILE_DIR = join(dir, `<img src=x onerror="document.title='pwned'">`);
const HOSTILE = join(HOSTILE_DIR, 'student.onnx');
const out = join(dir, 'report');
let report: CompareReport;
let stdout = '';

before(() => {
  mkdirSync(HOSTILE_DIR);
  copyFileSync(STUDENT, HOSTILE);
  const r = runCli(['compare', TEACHER, STUDENT, HOSTILE, '--episodes', String(EPISODES), '--runtime', 'ort-cpu', '--batch', '1,8', '--seconds', '0.05', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  stdout = r.stdout;
  report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Our own greedy loop, apart from evaluatePolicy: returns of `file` on the evaluation seeds. */
async function independentReturns(file: string, seed: number): Promise<number[]> {
  const policy = await openPolicy(file);
  const env = makeEnv('CartPole-v1');
  const returns: number[] = [];
  for (let episode = 0; episode < EPISODES; episode++) {
    let observation = env.reset(deriveSeed(seed, episode));
    let total = 0;
    for (let done = false; !done; ) {
      const q = await policy.qValues(observation, 1);
      const step = env.step(q[1] > q[0] ? 1 : 0);
      total += step.reward;
      observation = step.observation;
      done = step.terminated || step.truncated;
    }
    returns.push(total);
  }
  await policy.dispose();
  return returns;
}

test('compare writes report.json, report.md and report.html and prints the summary', () => {
  for (const name of ['report.json', 'report.md', 'report.html']) assert.ok(existsSync(join(out, name)), name);
  assert.match(stdout, /% of teacher/);
  assert.equal(report.env, 'CartPole-v1');
  assert.deepEqual(report.models.map((m) => m.role), ['teacher', 'student', 'student']);
  assert.ok(report.command.startsWith('qdistill compare') && report.machine.length > 0 && report.version.length > 0);
});

test("each model's returns equal our own greedy play on the same seeds", async () => {
  for (const m of report.models) {
    const returns = await independentReturns(m.file, report.seed);
    assert.deepEqual(m.reward.returns, returns, m.file);
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    assert.ok(Math.abs(m.reward.mean - mean) < 1e-9);
  }
});

test("size figures match the architectures (4-256-256-2 and 4-16-16-2) and the files; % of teacher follows its formula", () => {
  const [teacher, student, copy] = report.models;
  assert.equal(teacher.parameters, 4 * 256 + 256 + 256 * 256 + 256 + 256 * 2 + 2);
  assert.equal(student.parameters, 4 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
  assert.equal(student.macs, 4 * 16 + 16 * 16 + 16 * 2);
  assert.equal(teacher.bytes, statSync(TEACHER).size);
  assert.equal(copy.bytes, statSync(STUDENT).size);
  const gain = (m: number) => (m - report.randomReward) / (teacher.reward.mean - report.randomReward);
  for (const m of report.models) assert.ok(Math.abs(m.ofTeacher! - gain(m.reward.mean)) < 1e-12);
  assert.ok(report.randomReward < 100); // a random CartPole policy falls within a few dozen steps
});

test('agreement equals the share of teacher-visited states where onnxruntime gives both the same argmax', async () => {
  const teacher = await openPolicy(TEACHER);
  const { observations } = await visitedStates(teacher, AGREEMENT_STATES, AGREEMENT_SEED);
  await teacher.dispose();
  const t = await ortOutputs(readModelFile(TEACHER), observations, [AGREEMENT_STATES, 4]);
  const s = await ortOutputs(readModelFile(STUDENT), observations, [AGREEMENT_STATES, 4]);
  let same = 0;
  for (let i = 0; i < AGREEMENT_STATES; i++) if ((t[2 * i + 1] > t[2 * i]) === (s[2 * i + 1] > s[2 * i])) same++;
  assert.equal(report.models[1].agreement, same / AGREEMENT_STATES);
  assert.equal(report.models[2].agreement, same / AGREEMENT_STATES);
  assert.equal(report.models[0].agreement, 1);
});

test('report.md holds the summary and latency tables', () => {
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /^\| model \| role \| params \|/m);
  assert.match(md, /^\| model \| runtime \| bytes \| cold start \| p50 µs/m);
  for (const m of report.models) {
    const row = md.split('\n').find((line) => line.startsWith(`| ${m.label} | ${m.role} |`));
    assert.ok(row, m.label);
    assert.ok(row.includes(`${m.reward.mean.toFixed(1)} ± ${m.reward.std.toFixed(1)}`) && row.includes(m.parameters.toLocaleString('en-US')), row);
  }
});

test('report.html opens offline in Chromium without errors, with well-formed SVG plots and the figures', { skip: chromiumUnavailableReason() ?? false }, async () => {
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('request', (r) => !r.url().startsWith('data:') && r.url() !== 'about:blank' && problems.push(`request: ${r.url()}`));
    await page.setContent(html, { waitUntil: 'load' });
    const found = await page.evaluate(() => ({
      title: document.title,
      svgs: [...document.querySelectorAll('svg')].map((svg) => {
        const parsed = new DOMParser().parseFromString(new XMLSerializer().serializeToString(svg), 'image/svg+xml');
        const box = svg.getBoundingClientRect();
        return { wellFormed: !parsed.querySelector('parsererror'), width: box.width, height: box.height, marks: svg.querySelectorAll('rect, circle').length };
      }),
      text: document.body.innerText,
      images: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
    }));
    assert.deepEqual(problems, []);
    assert.ok(found.svgs.length >= 3, `${found.svgs.length} svg`);
    for (const svg of found.svgs) assert.ok(svg.wellFormed && svg.width > 100 && svg.height > 100 && svg.marks > 0, JSON.stringify(svg));
    assert.equal(found.images, 0); // the markup in a file name stayed text
    assert.equal(found.scripts, 0);
    assert.equal(found.title, 'qdistill compare: CartPole-v1');
    assert.ok(found.text.includes(`<img src=x onerror="document.title='pwned'">/student.onnx`));
    for (const m of report.models) {
      assert.ok(found.text.includes(m.parameters.toLocaleString('en-US')) && found.text.includes(`${(100 * m.agreement).toFixed(1)}%`), m.label);
      assert.ok(found.text.includes(`${m.reward.mean.toFixed(1)} ± ${m.reward.std.toFixed(1)}`));
    }
    assert.ok(found.text.includes(report.randomReward.toFixed(1)));
  } finally {
    await browser.close();
  }
});
