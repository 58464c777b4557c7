// The flags of a Gymnasium env (`--env gym:<id>`): added to every command that takes an env, and applied
// before the command runs, so that every later makeEnv('gym:<id>') makes the env the way the user asked.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { configureGymEnv, GYM_PREFIX, setGymDefaults } from '../gym/index.js';
import { UsageError } from '../util/errors.js';
import { number } from './options.js';

/** The Gymnasium flags, as commander parses them. */
export interface GymFlags {
  envKwargs?: Record<string, unknown>;
  python?: string;
  wrappers?: string[];
  envTimeout?: number;
}

const WRAPPERS = ['atari'] as const;

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object, e.g. \'{"max_episode_steps": 200}\'');
  return parsed as Record<string, unknown>;
}

function wrapperList(value: string): string[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(WRAPPERS as readonly string[]).includes(n));
  if (unknown.length || !names.length) throw new InvalidArgumentError(`expected wrapper names from: ${WRAPPERS.join(', ')}`);
  return names;
}

/** Whether `command` takes an env: an --env option or (train) an <env> argument. */
function takesEnv(command: Command): boolean {
  return command.options.some((o) => o.long === '--env') || command.registeredArguments.some((a) => a.name() === 'env');
}

/** Adds the Gymnasium flags to every command (at any depth) that takes an env, and says in --env's help that gym: ids work. */
export function addGymOptions(program: Command): void {
  const visit = (command: Command) => {
    command.commands.forEach(visit);
    if (!takesEnv(command)) return;
    const env = command.options.find((o) => o.long === '--env');
    if (env) env.description += '; gym:<id> for a Gymnasium env (a registered id, or FILE.py:Class)';
    command
      .addOption(new Option('--env-kwargs <json>', 'keyword arguments of gymnasium.make (or of the class) for a gym: env, e.g. \'{"max_episode_steps": 200}\'').argParser(jsonObject))
      .addOption(new Option('--python <path>', 'the Python that has the gym: env\'s packages (default: $QDISTILL_PYTHON, else python3)'))
      .addOption(new Option('--wrappers <names>', `wrappers for a gym: env, comma-separated: ${WRAPPERS.join(', ')} (SB3's make_atari_env preprocessing + 4-frame stack)`).argParser(wrapperList))
      .addOption(new Option('--env-timeout <s>', 'seconds a gym: env may take to answer one step or reset before it counts as hung').argParser(number(0.1, 86400)).default(60));
  };
  visit(program);
}

/** The env ids a command line names: --env, train's <env> argument, and distill's --teacher FILE@ENV. */
function namedEnvs(command: Command): string[] {
  const flags = command.opts() as { env?: string; teacher?: string[] };
  const ids = [flags.env, ...(flags.teacher ?? []).map((t) => (t.includes('@') ? t.slice(t.lastIndexOf('@') + 1) : undefined))];
  if (command.registeredArguments.some((a) => a.name() === 'env')) ids.push(command.args[0]);
  return ids.filter((id): id is string => typeof id === 'string');
}

/** Before a command runs: configures each gym: env it names with the Gymnasium flags; those flags without a gym: env are an error. */
export function applyGymOptions(command: Command): void {
  if (!takesEnv(command)) return;
  const flags = command.opts() as GymFlags;
  const named = namedEnvs(command);
  const gymIds = named.filter((id) => id.startsWith(GYM_PREFIX));
  const given = ['envKwargs', 'python', 'wrappers'].filter((k) => flags[k as keyof GymFlags] !== undefined);
  if (!gymIds.length) {
    const flag = given[0] && `--${given[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (flag && named.length) throw new UsageError(`${flag} applies to gym: envs only, and ${named[0]} is built in`);
    // No env named: the flags apply to the gym: env a model file names (and to none if it names a built-in one).
    if (given.length) setGymDefaults({ kwargs: flags.envKwargs, python: flags.python, wrappers: flags.wrappers, timeoutSeconds: flags.envTimeout });
    return;
  }
  for (const id of gymIds) {
    configureGymEnv({ env: id.slice(GYM_PREFIX.length), kwargs: flags.envKwargs, python: flags.python, wrappers: flags.wrappers, timeoutSeconds: flags.envTimeout });
  }
}
