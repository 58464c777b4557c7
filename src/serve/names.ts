// Which name each served model answers to: `name=path` on the command line, or the file's stem. Names go
// into URLs and metric labels, so they are limited to characters that need no escaping in either.
import { basename, extname } from 'node:path';
import { UsageError } from '../util/errors.js';

/** A model file with the name it is served under. */
export interface NamedModel {
  /** The name in URLs and metric labels: letters, digits, '.', '_', '-', unique among the served models. */
  name: string;
  /** The ONNX policy file. */
  file: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** "student.onnx" → student; "cart=models/a/student.onnx" → cart. */
export function parseModelArgument(argument: string): NamedModel {
  const equals = argument.indexOf('=');
  const prefix = equals > 0 ? argument.slice(0, equals) : '';
  // A path may itself contain '=', so the prefix counts as a name only when it looks like one.
  if (prefix && NAME_PATTERN.test(prefix) && !prefix.includes('/')) {
    const file = argument.slice(equals + 1);
    if (!file) throw new UsageError(`model argument '${argument}' names no file after '='`);
    return { name: prefix, file };
  }
  const stem = basename(argument, extname(argument));
  if (!NAME_PATTERN.test(stem)) {
    throw new UsageError(`cannot use the file name '${stem}' as a model name (letters, digits, '.', '_', '-'); give one as name=path`, argument);
  }
  return { name: stem, file: argument };
}

/** parseModelArgument() for each; UsageError when there are none or two share a name. */
export function parseModelArguments(argumentsList: string[]): NamedModel[] {
  return checkModelNames(argumentsList.map(parseModelArgument));
}

/** The models themselves when there is at least one and every name is usable and unique; else a UsageError. */
export function checkModelNames<M extends NamedModel>(models: M[]): M[] {
  if (models.length === 0) throw new UsageError('name at least one model file to serve');
  for (const { name, file } of models) {
    if (!NAME_PATTERN.test(name)) throw new UsageError(`cannot serve a model named '${name}' (letters, digits, '.', '_', '-')`, file);
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
