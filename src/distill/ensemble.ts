// Several teachers of one environment as one teacher (Rusu et al. 2016's multi-teacher distillation, for
// one task). Each member's Q-values become a policy softmax(Q_k/τ_k), with τ_k set against that member's own
// Q scale (temperature.ts), so a teacher with larger Q-values does not outvote the others; the ensemble's
// output is the log of their mean, log (1/K) Σ_k softmax(Q_k/τ_k), which the student learns with KL at τ = 1.
// While collecting, the teacher share of the episodes is played by each member in turn, so the memory holds
// states that every teacher (and, with DAgger, the student) visits.
import type { Policy } from '../infer/policy.js';
import { argmax } from '../policy/agreement.js';
import type { PolicyFileInfo } from '../policy/file.js';
import { qScale } from '../policy/fidelity.js';
import { visitedStates } from '../rollout/visited-states.js';
import { UsageError } from '../util/errors.js';

/** Log-probabilities below this are clamped, so that an action every member rules out stays finite. */
const LOG_FLOOR = Math.log(1e-12);

/** log (1/K) Σ_k softmax(q_k / τ_k) for `batch` rows of `actionCount` outputs per member (plain arithmetic: it runs before any tfjs backend is chosen). */
export function mixtureLogProbabilities(memberOutputs: Float32Array[], temperatures: number[], batch: number, actionCount: number): Float32Array {
  const out = new Float32Array(batch * actionCount);
  const mean = new Float64Array(actionCount);
  for (let row = 0; row < batch; row++) {
    mean.fill(0);
    memberOutputs.forEach((q, k) => {
      const at = row * actionCount;
      const logits = Array.from({ length: actionCount }, (_, a) => q[at + a] / temperatures[k]);
      const max = Math.max(...logits);
      const exps = logits.map((l) => Math.exp(l - max));
      const sum = exps.reduce((s, e) => s + e, 0);
      exps.forEach((e, a) => (mean[a] += e / sum / memberOutputs.length));
    });
    for (let a = 0; a < actionCount; a++) out[row * actionCount + a] = Math.max(Math.log(mean[a]), LOG_FLOOR);
  }
  return out;
}

/** The teachers as one Policy whose outputs are the log-probabilities of their mixture (info.output 'logits'). */
export class TeacherEnsemble implements Policy {
  readonly spec: Policy['spec'];
  readonly info: PolicyFileInfo;

  private constructor(readonly members: Policy[], readonly temperatures: number[], readonly qScales: number[]) {
    this.spec = members[0].spec;
    this.info = { ...members[0].info, output: 'logits', outputName: 'ensemble', card: null, notes: [] };
  }

  /**
   * The ensemble of `members` (all of one environment, all with Q-values). τ_k is `temperature` when given,
   * else relativeTemperature × member k's Q scale on `states` states it visits (1 where that scale is 0).
   */
  static async of(members: Policy[], names: string[], o: { temperature: number | 'auto'; relativeTemperature: number; states: number; seed: number }): Promise<TeacherEnsemble> {
    const first = members[0];
    members.forEach((m, k) => {
      if (m.spec.id !== first.spec.id) throw new UsageError(`the teachers play different environments: ${names[0]} plays ${first.spec.id}, ${names[k]} plays ${m.spec.id}; an ensemble needs one environment`, names[k]);
      if (m.info.output === 'actions') throw new UsageError(`${names[k]} gives actions only; an ensemble combines the teachers' Q-values`, names[k]);
    });
    const qScales: number[] = [];
    for (const m of members) qScales.push(qScale((await visitedStates(m, o.states, o.seed)).outputs, m.spec.actionCount));
    const temperatures = qScales.map((s) => (o.temperature !== 'auto' ? o.temperature : s > 0 ? o.relativeTemperature * s : 1));
    return new TeacherEnsemble(members, temperatures, qScales);
  }

  async qValues(observations: Float32Array, batch: number): Promise<Float32Array> {
    const outputs: Float32Array[] = [];
    for (const m of this.members) outputs.push(await m.qValues(observations, batch));
    return mixtureLogProbabilities(outputs, this.temperatures, batch, this.spec.actionCount);
  }

  async act(observation: Float32Array): Promise<number> {
    return argmax(await this.qValues(observation, 1));
  }

  /** Member k plays episode k, k + K, …: the teacher share of collection visits every member's states. */
  actorFor(episode: number): Policy {
    return this.members[episode % this.members.length];
  }

  async dispose(): Promise<void> {
    for (const m of this.members) await m.dispose();
  }
}
