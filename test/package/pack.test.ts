// The package as a user gets it: `npm pack`, install the tarball into an empty folder, and there compile a
// strict TypeScript program against the installed declarations (the repo's tsc) and run it with node: it
// opens a committed policy from node_modules/qdistill/models, evaluates it, and distills a tiny student.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluate, openPolicy, TOOL_VERSION } from '../../src/index.js';
import { ensureBuilt } from '../support/build.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const STUDENT = 'models/cartpole-v1-student-16x16/student.onnx';
const TEACHER = 'models/cartpole-v1/teacher.onnx';
const EPISODES = 5;
const dir = mkdtempSync(join(tmpdir(), 'qdistill-pack-'));
const app = join(dir, 'app');
after(() => rmSync(dir, { recursive: true, force: true }));


/** The environment without the npm_* variables of an enclosing `npm test`, which would steer the inner npm. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }, timeout = 120_000): string {
  const r = spawnSync(command, args, { env: cleanEnv, encoding: 'utf8', timeout, ...options });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} exited ${r.status} (${r.signal ?? 'no signal'}):\n${r.stdout}\n${r.stderr}`);
  return String(r.stdout);
}

// The user's program: strict, NodeNext, typed with the package's own names.
const PROGRAM = `import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { configureGymEnv, distill, evaluate, openPolicy, type DistillOutcome, type EvalResult, type Policy } from 'qdistill';

const out = process.argv[2];
if (!out) throw new Error('usage: node main.js OUT');
const models = join(process.cwd(), 'node_modules/qdistill/models');

const policy: Policy = await openPolicy(join(models, '${relative('models', STUDENT)}'));
const evaluation: EvalResult = await evaluate(policy, { episodes: ${EPISODES} });
await policy.dispose();

const student: DistillOutcome = await distill({
  teacher: join(models, '${relative('models', TEACHER)}'),
  student: [8],
  outDir: out,
  rounds: 1,
  stepsPerRound: 500,
  gradientStepsPerRound: 50,
  evalEpisodes: 1,
  earlyStop: false,
  finalEpisodes: 2,
});
// A Gymnasium-API env class in the user's Python, through the bridge that the package ships.
const gym: string = configureGymEnv({ env: process.argv[3], python: process.argv[4], kwargs: { max_episode_steps: 50 } });
const bridged: Policy = await openPolicy(join(models, '${relative('models', STUDENT)}'), { env: gym });
const gymReturns: number[] = (await evaluate(bridged, { episodes: 2 })).returns;
await bridged.dispose();
const spec: string = policy.spec.id;
console.log(JSON.stringify({ env: spec, gymReturns, returns: evaluation.returns, studentPath: student.studentPath, studentExists: existsSync(student.studentPath), studentEpisodes: student.reward.episodes, parameters: student.parameters }));
`;

let tarball = '';
let packedFiles: string[] = [];

before(() => {
  ensureBuilt();
  // --ignore-scripts: dist/ is built above; `prepare` would rebuild it while the examples test reads it.
  const [packed] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT })) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, packed.filename);
  packedFiles = packed.files.map((f) => f.path);
  mkdirSync(app);
  // What the README asks of a user on npm 11 (npm 12 blocks dependency install scripts by default): deny
  // onnxruntime-node's install script, which would download CUDA libraries; its CPU binaries are in the package.
  const user = { name: 'qdistill-user', private: true, type: 'module', allowScripts: { 'onnxruntime-node': false } };
  writeFileSync(join(app, 'package.json'), JSON.stringify(user, null, 2));
  run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app }, 240_000);
  writeFileSync(join(app, 'main.ts'), PROGRAM);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          outDir: 'build',
          rootDir: '.',
          // The user's own @types/node (qdistill does not install it); the repo's stands in.
          typeRoots: [join(ROOT, 'node_modules/@types')],
          types: ['node'],
        },
        include: ['main.ts'],
      },
      null,
      2,
    ),
  );
});

test('the tarball holds the build, its declarations, the CLI and the committed models, and no sources or tests', () => {
  for (const f of ['package.json', 'README.md', 'bin/qdistill', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/index.js', 'python/qdistill_gym_bridge.py', STUDENT, TEACHER]) {
    assert.ok(packedFiles.includes(f), `${f} packed`);
  }
  assert.deepEqual(packedFiles.filter((f) => /^(src|test|bench|examples)\//.test(f) || f.endsWith('.qdb')), []);
  assert.ok(existsSync(join(app, 'node_modules/qdistill/dist/index.d.ts')));
});

test("the installed CLI runs: qdistill --version prints the package's version", () => {
  assert.equal(run(join(app, 'node_modules/.bin/qdistill'), ['--version'], { cwd: app }).trim(), TOOL_VERSION);
});

test('the installed CLI writes the kilobyte web page: the bundler finds the compiled sources in dist/ (no src/ is shipped)', () => {
  const site = join(dir, 'site');
  run(join(app, 'node_modules/.bin/qdistill'), ['export', 'web', join(app, 'node_modules/qdistill', STUDENT), '--out', site], { cwd: app });
  const html = readFileSync(join(site, 'index.html'), 'utf8');
  assert.match(html, /<script type="module">.+<\/script>/s);
  assert.match(html, /"runtime":"js"/);
});

test('a strict NodeNext program type-checks against the installed declarations, with no error in them', () => {
  run(TSC, ['-p', join(app, 'tsconfig.json'), '--noEmit'], { cwd: app });
  // Without skipLibCheck: @tensorflow/tfjs's own declarations fail strict checks (not ours to fix), but
  // nothing under node_modules/qdistill may.
  const r = spawnSync(TSC, ['-p', join(app, 'tsconfig.json'), '--noEmit', '--skipLibCheck', 'false'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
  const ours = r.stdout.split('\n').filter((line) => /^(node_modules\/qdistill\/|main\.ts)/.test(line));
  assert.deepEqual(ours, []);
});

test('the compiled program, run by node from the install, evaluates the packaged student and distills a tiny one', async () => {
  run(TSC, ['-p', join(app, 'tsconfig.json')], { cwd: app });
  const out = join(dir, 'student');
  const gymClass = join(ROOT, 'test/gym/fixtures/cartpole_env.py') + ':CartPole';
  const stdout = run(process.execPath, [join(app, 'build/main.js'), out, gymClass, '/usr/bin/python3'], { cwd: app }, 180_000);
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    env: string;
    gymReturns: number[];
    returns: number[];
    studentPath: string;
    studentExists: boolean;
    studentEpisodes: number;
    parameters: number;
  };
  // The same episodes played from the repo's sources.
  const policy = await openPolicy(join(ROOT, STUDENT));
  const expected = await evaluate(policy, { episodes: EPISODES });
  await policy.dispose();
  assert.equal(result.env, 'CartPole-v1');
  assert.deepEqual(result.returns, expected.returns);
  assert.deepEqual(result.gymReturns, [50, 50]);
  assert.equal(result.studentPath, join(out, 'student.onnx'));
  assert.ok(result.studentExists && existsSync(result.studentPath) && statSync(result.studentPath).size > 0);
  assert.equal(result.studentEpisodes, 2);
  // 4 → 8 → 2: 4·8 + 8 + 8·2 + 2 weights and biases.
  assert.equal(result.parameters, 58);
});
