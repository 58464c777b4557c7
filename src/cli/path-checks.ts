// Before any command runs: every path flag is checked from its placeholder in the command's definition, so
// that each command is covered without code of its own. `--out <file>` and `--out <dir>` must be writable
// there; `--config <file>` and the other `<file>` inputs must be regular files; a positional model or file
// argument that exists must not be a pipe or a device (the readers check the rest when they read).
import { existsSync, statSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { checkInputFile } from '../util/input-file.js';
import { checkOutputFile, checkOutputFolder } from '../util/output-path.js';
import { UsageError } from '../util/errors.js';

/** Inputs that take more than a path (FILE@ENV, name=path) are left to the code that parses them. */
const INPUT_EXCEPTIONS = new Set(['teacher']);

function placeholder(option: Option): string | undefined {
  return /<([^>]+)>/.exec(option.flags)?.[1];
}

function checkPositional(value: string): void {
  let stats;
  try {
    stats = statSync(value);
  } catch {
    return; // not there: the reader says so in its own words (or it is FILE@ENV, name=path)
  }
  if (stats.isFIFO() || stats.isCharacterDevice() || stats.isBlockDevice() || stats.isSocket()) checkInputFile(value, 'model file');
}

/** Checks the path flags and model arguments of the command about to run; throws a one-line UsageError. */
export function checkCommandPaths(command: Command): void {
  const values = command.opts() as Record<string, unknown>;
  for (const option of command.options) {
    const kind = placeholder(option);
    const value = values[option.attributeName()];
    if (value === undefined || value === false) continue;
    const flag = option.long ?? option.flags;
    if (option.attributeName() === 'out') {
      if (typeof value !== 'string') continue;
      if (kind === 'file') checkOutputFile(value, flag);
      else if (kind === 'dir') checkOutputFolder(value, flag);
    } else if (kind === 'file' && !INPUT_EXCEPTIONS.has(option.attributeName())) {
      for (const path of Array.isArray(value) ? value : [value]) {
        if (typeof path !== 'string' || path === '') throw new UsageError(`${flag} needs a file name`);
        checkInputFile(path, flag);
      }
    }
  }
  command.registeredArguments.forEach((argument, i) => {
    if (!/onnx|model|file|policy|teacher|student/.test(argument.name())) return;
    const value = command.processedArgs[i];
    // serve takes name=path: the path is after the first '='.
    for (const given of Array.isArray(value) ? value : [value]) if (typeof given === 'string') checkPositional(given.includes('=') && !existsSync(given) ? given.slice(given.indexOf('=') + 1) : given);
  });
}
