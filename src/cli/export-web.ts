// `qdistill export web`: writes the static site that plays an environment with the policy in the browser.
import { Option, type Command } from 'commander';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { printJson } from './output.js';
import { PAGE_RUNTIMES } from '../export/site-runtimes.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';

interface ExportWebFlags extends PolicyFileFlags {
  out: string;
  runtime: (typeof PAGE_RUNTIMES)[number];
  env?: string;
  json?: boolean;
}

export function registerExportWeb(exportCommand: Command): void {
  addPolicyFileOptions(exportCommand.command('web'))
    .description('write a static site that plays the environment live on a canvas, the policy running in the browser (by default the compiled js policy inlined in one index.html: about 18 KB for a 4-16-16-2 student, the weights inline)')
    .argument('<model.onnx>', 'policy file (ours, or from elsewhere with --env)')
    .requiredOption('--out <dir>', 'folder for the site (index.html; with onnxruntime-web also main.js, style.css, model.onnx and its wasm)')
    .addOption(
      new Option('--runtime <runtime>', 'what runs the policy: js (the compiled module inlined in the page, works from file://), ort-wasm or ort-webgpu (onnxruntime-web: a 14 MB download, needs a server), auto (js where the model compiles, else ort-wasm)')
        .choices([...PAGE_RUNTIMES])
        .default('auto'),
    )
    .option('--env <id>', 'environment id (default: qdistill.env in the model metadata)')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      '\nThe js page is one file: open site/cartpole/index.html directly, or put it on any static server. Pages with\n' +
        'onnxruntime-web need a server (browsers do not fetch WebAssembly from file:// pages). For precise per-step\n' +
        'timings the server must send Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:\n' +
        'require-corp: qdistill serve does, and the site\'s _headers file asks Netlify and Cloudflare Pages to.\n' +
        '\nExample:\n  qdistill export web models/cartpole-v1-student-16x16/student.onnx --out site/cartpole\n' +
        '  qdistill export web models/cartpole-v1-student-16x16/student.onnx --runtime ort-wasm --out site/cartpole-ort',
    )
    .action(async (model: string, flags: ExportWebFlags) => {
      // Under a second (bundling; with onnxruntime-web, copying its 14 MB wasm): too short for a progress bar.
      const { exportWeb } = await import('../export/index.js');
      const { out, files, runtime, fallback } = await exportWeb({ model, env: flags.env, out: flags.out, runtime: flags.runtime, ...policyFileOptionsFrom(flags) });
      const bytes = files.reduce((sum, file) => sum + statSync(join(out, file)).size, 0);
      if (flags.json) printJson({ out, files, bytes, runtime, fallback });
      else {
        if (fallback) process.stderr.write(`qdistill: note: the page runs onnxruntime-web (ort-wasm): the compiled js policy cannot run this model: ${fallback}\n`);
        const size = bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
        const open =
          runtime === 'js'
            ? `open ${join(flags.out, 'index.html')} directly, or serve the folder`
            : `serve the folder with any static server, e.g. npx http-server ${flags.out} (qdistill serve builds and serves such a page itself with --web-runtime ${runtime})`;
        process.stdout.write(`wrote ${flags.out} (${files.length} files, ${size}, runtime ${runtime}); ${open}\n`);
      }
    });
}
