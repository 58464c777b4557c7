// The int8 passes write ops newer than many users' files (torch exports at opset 9–12): before the pass, a file
// whose opset cannot be raised to what those ops need is left alone with the reason; after it, a file that got
// such ops has its opset raised (src/onnx/opset-upgrade.ts), so no pass writes an op its file's opset lacks.
import { defaultOpsetOf, opsetUpgradeBlocker, upgradeOpset } from '../onnx/opset-upgrade.js';
import type { GraphEditor } from './editor.js';
import type { Pass } from './pass.js';

/**
 * The before/after hooks of a pass that writes the ops in `written`, which need opset `minOpset`. `needs` names
 * them in the refusal ("static int8 needs opset 13 (per-axis QuantizeLinear)"), `otherwise` says what else to do.
 */
export function opsetGuard<O>(minOpset: number, written: ReadonlySet<string>, needs: string, otherwise: string): Required<Pick<Pass<O>, 'before' | 'after'>> {
  return {
    before: (editor: GraphEditor) => {
      const blocker = opsetUpgradeBlocker(editor.model, minOpset);
      if (blocker) {
        editor.refused = true;
        editor.notes.push(`not quantized: the file is opset ${defaultOpsetOf(editor.model)}, ${needs}, and the opset cannot be raised (${blocker}); ${otherwise}`);
      }
      return [];
    },
    after: (editor: GraphEditor) => {
      if (!editor.nodes.some((n) => written.has(n.opType))) return [];
      const line = upgradeOpset(editor.model, minOpset);
      return line ? [line] : [];
    },
  };
}
