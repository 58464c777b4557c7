// Each served model's browser page, built at startup into a temporary folder that the server shares under
// /web/{name}/ and removes when it stops. The builder is passed in (the export stage's `exportWeb`, given by
// the serve pipeline), so this stage does not reach into another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NamedModel } from './names.js';

export interface WebSites {
  /** Model name → folder with its site. */
  roots: Map<string, string>;
  remove(): void;
}

/** How a model file is read: the output holding Q-values, and whether float16 boundaries are accepted. */
export interface FileReading {
  output?: string;
  allowFp16?: boolean;
}

/** Builds the page of one model into `out` and returns the folder it wrote, or null when the model has no page (its env cannot run in a browser). */
export type WebPageBuilder = (model: { file: string; env?: string; out: string } & FileReading) => Promise<{ out: string } | null>;

export async function buildWebSites(models: NamedModel[], env: string | undefined, build: WebPageBuilder, onSite?: (done: number) => void, read: FileReading = {}): Promise<WebSites> {
  const folder = mkdtempSync(join(tmpdir(), 'qdistill-serve-web-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const roots = new Map<string, string>();
  try {
    for (const [i, { name, file }] of models.entries()) {
      const site = await build({ file, env, out: join(folder, name), ...read });
      if (site) roots.set(name, site.out);
      onSite?.(i + 1);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { roots, remove };
}
