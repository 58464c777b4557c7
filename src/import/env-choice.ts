// Which of qdistill's environments an imported network plays: --env, the Zoo's args.yml, the file or folder
// name, or the one environment whose observations and actions fit. When none fits, the teacher is written
// without one (commands that play it then ask for --env); a name or --env that does not fit is an error.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkEnvId, envIds, envSpec } from '../envs/registry.js';
import type { EnvSpec } from '../envs/types.js';
import { UsageError } from '../util/errors.js';
import { readInputText } from '../util/input-file.js';
import { parseZooYaml } from './sb3.js';

/** How a network takes an environment's observations: as the env gives them, or as NCHW (a CNN on an HWC env). */
export type Fit = { layout: 'native' | 'nchw' };

/** Whether `spec` fits the network: how it does, or one line saying why not. */
export type FitTest = (spec: EnvSpec) => Fit | string;

/** The environment chosen, how, and how the network takes its observations. */
export interface EnvChoice {
  /** The environment id, or null when none fits. */
  env: string | null;
  /** How it was chosen (or why none was), in words. */
  envSource: string;
  /** How the file takes the env's observations (native when there is no env). */
  layout: 'native' | 'nchw';
}

/** The Zoo's YAML file `name` near a model: beside it, or in the `<file stem>/` folder the Zoo writes beside it. */
export function zooFile(file: string, name: string): string | null {
  const dir = dirname(file);
  const stem = basename(file).replace(/\.[^.]+$/, '');
  for (const path of [join(dir, name), join(dir, stem, name)]) if (existsSync(path)) return path;
  return null;
}

function named(file: string, env: string, envSource: string, fit: FitTest): EnvChoice {
  const result = fit(envSpec(env));
  if (typeof result === 'string') throw new UsageError(result, file);
  return { env, envSource, layout: result.layout };
}

/**
 * Picks the environment for the network in `file`. `fit` tells whether an env fits; `takes` says in words what
 * the network takes (e.g. '4 observations and 2 actions'), for the messages.
 */
export function chooseEnv(file: string, requested: string | undefined, fit: FitTest, takes: string): EnvChoice {
  if (requested) return named(file, checkEnvId(requested), '--env', fit);
  const args = zooFile(file, 'args.yml');
  if (args) {
    const env = parseZooYaml(readInputText(args, 'RL Zoo args', { maxBytes: 16 * 2 ** 20 })).env;
    if (typeof env === 'string' && envIds().includes(env)) return named(file, env, `${args} names it`, fit);
  }
  for (const name of [basename(file), basename(dirname(file))]) {
    const found = envIds().filter((id) => name.includes(id) || name.includes(id.replace('/', '-')));
    if (found.length) return named(file, found.sort((a, b) => b.length - a.length)[0], `the name '${name}'`, fit);
  }
  const fits = envIds().flatMap((id) => {
    const result = fit(envSpec(id));
    return typeof result === 'string' ? [] : [{ id, layout: result.layout }];
  });
  if (fits.length > 1) throw new UsageError(`the network fits ${fits.map((f) => f.id).join(' and ')}; pass --env`, file);
  if (fits.length === 1) return { env: fits[0].id, envSource: `the only environment with ${takes}`, layout: fits[0].layout };
  return {
    env: null,
    envSource: `no environment of qdistill's has ${takes} (known: ${envIds().join(', ')})`,
    layout: 'native',
  };
}
