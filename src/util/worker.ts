// Starting a worker thread on one of our own modules, both from the build (dist/*.js) and from the sources
// under tsx (tests, development).
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A Worker running the module `name` (without extension) beside `from` (the caller's import.meta.url): the
 * built .js module, or under tsx a loader that imports the .ts source.
 */
export function startModuleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, from), options);
  // Node 20 does not apply tsx's --import hooks to a worker's entry, so import the source through tsx's API.
  const source = JSON.stringify(new URL(`./${name}.ts`, from).href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${source}, ${source}))`, { ...options, eval: true, execArgv: [] });
}
