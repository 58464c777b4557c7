// Each served model's browser page (`export web`), built at startup into a temporary folder that the
// server shares under /web/{name}/ and removes when it stops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportWebSite } from '../export/web-site.js';
import type { NamedModel } from './names.js';

export interface WebSites {
  /** Model name → folder with its site. */
  roots: Map<string, string>;
  remove(): void;
}

export async function buildWebSites(models: NamedModel[], env: string | undefined, onSite?: (done: number) => void): Promise<WebSites> {
  const folder = mkdtempSync(join(tmpdir(), 'qdistill-serve-web-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const roots = new Map<string, string>();
  try {
    for (const [i, { name, file }] of models.entries()) {
      const { out } = await exportWebSite({ model: file, env, out: join(folder, name) });
      roots.set(name, out);
      onSite?.(i + 1);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { roots, remove };
}
