// The v1 API's act request: `{"observation": [...]}` → `{"action", "q_values"}`, `{"observations": [...]}` →
// `{"actions", "q_values"}` (validate.ts parses the body).
import { argmax } from '../policy/agreement.js';
import { answerInference, type Answer } from './answers.js';
import type { ServedModel } from './models.js';
import { parseActRequest } from './validate.js';

/** The answer to POST /v1/models/{name}:act with `body` for `model`. */
export function answerAct(model: ServedModel, body: unknown, maxRequestBatch: number): Promise<Answer> {
  const { spec, info } = model.policy;
  return answerInference(
    model,
    () => parseActRequest(body, spec, maxRequestBatch),
    (outputs, parsed) => actResponse(outputs, parsed.count, spec.actionCount, parsed.single, info.output === 'actions'),
  );
}

/**
 * The actions and the outputs they are the argmax of. A file that gives actions only has no Q-values: its
 * outputs are one-hot rows the runtime made, so q_values is null rather than numbers the file never computed.
 */
function actResponse(outputs: Float32Array, count: number, actionCount: number, single: boolean, actionsOnly: boolean): Record<string, unknown> {
  const row = (i: number) => (actionsOnly ? null : Array.from(outputs.subarray(i * actionCount, (i + 1) * actionCount)));
  if (single) return { action: argmax(outputs, 0, actionCount), q_values: row(0) };
  const actions: number[] = [];
  const qValues: (number[] | null)[] = [];
  for (let i = 0; i < count; i++) {
    actions.push(argmax(outputs, i * actionCount, actionCount));
    qValues.push(row(i));
  }
  return { actions, q_values: actionsOnly ? null : qValues };
}
