// Which name each model of a command line answers to: `name=path`, or the file's stem. `serve` puts the names
// into URLs and metric labels, `export triton` makes them folder names of a model repository (Triton requires
// a model's folder and its config's name to be the same); so names are limited to characters that need no
// escaping in any of them and cannot be a hidden or relative folder ('.', '..', '.x' all start with a dot).
import { basename, extname } from 'node:path';
import { UsageError } from './errors.js';

/** A model file with the name it is served or exported under. */
export interface NamedModel {
  /** The name in URLs, metric labels and folder names: letters, digits, '.', '_', '-', unique among the models. */
  name: string;
  /** The ONNX policy file. */
  file: string;
}

/** A usable model name: a letter or digit, then letters, digits, '.', '_' or '-'. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** "student.onnx" → student; "cart=models/a/student.onnx" → cart. UsageError when the stem is no usable name. */
export function parseModelArgument(argument: string): NamedModel {
  const equals = argument.indexOf('=');
  const prefix = equals > 0 ? argument.slice(0, equals) : '';
  // A path may itself contain '=', so the prefix counts as a name only when it looks like one.
  if (prefix && MODEL_NAME_PATTERN.test(prefix) && !prefix.includes('/')) {
    const file = argument.slice(equals + 1);
    if (!file) throw new UsageError(`model argument '${argument}' names no file after '='`);
    return { name: prefix, file };
  }
  const stem = basename(argument, extname(argument));
  if (!MODEL_NAME_PATTERN.test(stem)) {
    throw new UsageError(`cannot use the file name '${stem}' as a model name (letters, digits, '.', '_', '-'); give one as name=path`, argument);
  }
  return { name: stem, file: argument };
}

/**
 * The models themselves when there is at least one and every name is usable and unique; else a UsageError
 * whose words use `verb` ('serve', 'export').
 */
export function checkModelNames<M extends NamedModel>(models: M[], verb = 'serve'): M[] {
  if (models.length === 0) throw new UsageError(`name at least one model file to ${verb}`);
  for (const { name, file } of models) {
    if (!MODEL_NAME_PATTERN.test(name)) throw new UsageError(`cannot ${verb} a model named '${name}' (letters, digits, '.', '_', '-')`, file);
  }
  const seen = new Map<string, string>();
  for (const { name, file } of models) {
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new UsageError(`two models are named '${name}' (${earlier} and ${file}); name them with name=path`);
    }
    seen.set(name, file);
  }
  return models;
}

/** parseModelArgument() for each, then checkModelNames(); `verb` words the errors ('serve', 'export'). */
export function parseModelArguments(argumentsList: string[], verb = 'serve'): NamedModel[] {
  return checkModelNames(argumentsList.map(parseModelArgument), verb);
}
