// Pieces several commands share.
export { checkEnvId } from '../envs/registry.js';
export { commandLine } from '../util/command-line.js';
