// Issue 12's measuring stick: a corpus of Q-network files made the way users make them (test/corpus/
// make_corpus.py, real torch 1.13), every file through every command of the built CLI (near-copies of a file,
// another opset or activation of the same network, skip the commands that only run what every file shares once
// read: distill, compare, bench, serve; see commandsOf in expectations.ts). Each (file, command)
// cell is its own subtest; cells that fail today because a feature is missing are todo (reported with the
// failure as seen, not failing the suite) in test/corpus/expectations.ts, to be turned into 'ok' as fixes land.
// Invariants for every cell: never exit 1; exit 2 is exactly one `qdistill: ` line on stderr; every ONNX file
// a command writes passes onnx.checker; where eval or inspect succeed on an original file, onnxruntime's
// Q-values equal torch's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ensureBuilt } from '../support/build.js';
import { referenceCheckFiles } from '../support/onnx-checker.js';
import { commandsOf, expectationOf, FILES } from './expectations.js';
import {
  CHECKPOINT_COMMANDS, compareWithTorch, makeCorpus, ONNX_COMMANDS, runAll, summarize,
  type CellResult, type Command, type Manifest,
} from './runner.js';

const CONCURRENCY = Number(process.env.QDISTILL_CORPUS_CONCURRENCY ?? 3);

let dir = '';
let manifest: Manifest = {};
const results = new Map<string, CellResult>();
let checks = new Map<string, { ok: boolean; message: string }>();
const key = (file: string, command: Command) => `${file} ${command}`;

function cell(file: string, command: Command): CellResult {
  const r = results.get(key(file, command));
  assert.ok(r, `no result for ${file} × ${command} (is the file in manifest.json?)`);
  return r;
}

/** The invariants of every cell, then the cell's expectation. */
async function checkCell(t: TestContext, file: string, command: Command): Promise<void> {
  const r = cell(file, command);
  const expected = expectationOf(file, command);
  assert.notEqual(r.outcome, 'exit1', `exit 1 (internal error): ${summarize(r)}\n${r.stderrTail}`);
  if (r.outcome === 'exit2') {
    assert.equal(r.messages.length, 1, `exit 2 must print exactly one 'qdistill: ' line, got:\n${r.messages.join('\n')}`);
    assert.deepEqual(r.strayLines, [], 'exit 2: stderr holds lines besides the message and progress JSON');
  }
  for (const path of r.written) {
    const check = checks.get(path);
    assert.ok(check?.ok, `${path} fails onnx.checker: ${check?.message}`);
  }
  if (command === 'import' && r.outcome === 'ok') {
    const teacher = r.written.find((p) => p.endsWith('teacher.onnx'));
    assert.ok(teacher, 'import wrote no teacher.onnx');
    const cmp = await compareWithTorch(dir, teacher, manifest[file]);
    assert.ok(cmp.ok, `imported teacher against torch: ${cmp.detail}`);
    t.diagnostic(cmp.detail);
  }
  if (expected === 'ok') {
    assert.equal(r.outcome, 'ok', summarize(r));
  } else if (expected instanceof RegExp) {
    assert.equal(r.outcome, 'exit2', `expected the documented error ${expected}, got ${summarize(r)}`);
    assert.match(r.messages[0].replace(/^qdistill: /, ''), expected);
  } else if (r.outcome === 'ok') {
    t.diagnostic('passes now: delete its todo in test/corpus/expectations.ts');
  } else {
    assert.fail(summarize(r));
  }
}

describe('corpus of user-made Q-network files × every command', { timeout: 900_000 }, () => {
  before(async () => {
    const started = performance.now();
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'qdistill-corpus-'));
    manifest = makeCorpus(dir);
    for (const r of await runAll(dir, manifest, CONCURRENCY)) results.set(key(r.file, r.command), r);
    checks = await referenceCheckFiles([...results.values()].flatMap((r) => r.written));
    process.stderr.write(`corpus: ${Object.keys(manifest).length} files, ${results.size} cells in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }, { timeout: 900_000 });

  after(() => {
    if (dir && !process.env.QDISTILL_KEEP_CORPUS) rmSync(dir, { recursive: true, force: true });
  });

  it('manifest.json lists exactly the files of the expectations table', () => {
    assert.deepEqual(Object.keys(manifest).sort(), [...FILES].sort());
  });

  for (const file of FILES) {
    const onnx = file.endsWith('.onnx');
    describe(file, () => {
      for (const command of commandsOf(file, onnx ? ONNX_COMMANDS : CHECKPOINT_COMMANDS)) {
        const expected = expectationOf(file, command);
        const todo = typeof expected === 'object' && !(expected instanceof RegExp) ? expected.todo : undefined;
        it(command, todo ? { todo } : {}, (t) => checkCell(t, file, command));
      }
      if (onnx) {
        it("onnxruntime's outputs equal torch's (where eval or inspect succeed)", async (t) => {
          const evalOk = cell(file, 'eval').outcome === 'ok';
          const inspectOk = cell(file, 'inspect').outcome === 'ok';
          if (!evalOk && !inspectOk) return t.skip('neither eval nor inspect succeeds on this file');
          let cmp;
          try {
            cmp = await compareWithTorch(dir, join(dir, file), manifest[file]);
          } catch (error) {
            if (!evalOk) return t.skip(`inspect succeeds, eval does not: ${(error as Error).message.split('\n')[0]}`);
            throw error;
          }
          t.diagnostic(cmp.detail);
          assert.ok(cmp.ok, cmp.detail);
        });
      }
    });
  }
});
