// The distillation losses by name (their definitions are in losses.ts).

/** kl: softened teacher Q-values (Rusu et al. 2016); mse: Q-values; nll: actions (behaviour cloning); dqn+kl: TD loss plus λ·KL. */
export const LOSSES = ['kl', 'mse', 'nll', 'dqn+kl'] as const;
/** A distillation loss; see LOSSES. */
export type LossName = (typeof LOSSES)[number];
