// `qdistill export web`: writes the static site that plays an environment with the policy in the browser.
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { printJson } from './output.js';
import { addPolicyFileOptions, policyFileOptionsFrom, type PolicyFileFlags } from './runtime-option.js';

interface ExportWebFlags extends PolicyFileFlags {
  out: string;
  env?: string;
  json?: boolean;
}

export function registerExportWeb(exportCommand: Command): void {
  addPolicyFileOptions(exportCommand.command('web'))
    .description('write a static site that plays the environment live on a canvas, the policy running in the browser (onnxruntime-web, wasm)')
    .argument('<model.onnx>', 'policy file (ours, or from elsewhere with --env)')
    .requiredOption('--out <dir>', 'folder for the site (index.html, main.js, style.css, model.onnx, the onnxruntime wasm)')
    .option('--env <id>', 'environment id (default: qdistill.env in the model metadata)')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      '\nThe site needs a web server (browsers do not fetch WebAssembly from file:// pages); any static one will do.\n' +
        '\nExample:\n  qdistill export web models/cartpole-v1-student-16x16/student.onnx --out site/cartpole\n  npx http-server site/cartpole',
    )
    .action(async (model: string, flags: ExportWebFlags) => {
      // About a second and a half (bundling, copying the 14 MB wasm): too short for a progress bar.
      const { exportWeb } = await import('../export/index.js');
      const { out, files } = await exportWeb({ model, env: flags.env, out: flags.out, ...policyFileOptionsFrom(flags) });
      const bytes = files.reduce((sum, file) => sum + statSync(join(out, file)).size, 0);
      if (flags.json) printJson({ out, files, bytes });
      else {
        process.stdout.write(
          `wrote ${flags.out} (${files.length} files, ${Math.round(bytes / 1024).toLocaleString('en-US')} KB); ` +
            `serve it with any static server, e.g. npx http-server ${flags.out} or qdistill serve\n`,
        );
      }
    });
}
