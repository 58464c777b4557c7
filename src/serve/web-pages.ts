// Each served model's browser page, built at startup into a temporary folder that the server shares under
// /web/{name}/ and removes when it stops. The builder is passed in (the export stage's `exportWeb`, given by
// the serve pipeline), so this stage does not reach into another. Under hideCards the model files of the
// pages lose their qdistill.card metadata, which anyone could otherwise download with the page.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metadataOf, setMetadata } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import { METADATA_KEYS } from '../policy/metadata.js';
import { writeFileAtomic } from '../util/atomic-write.js';
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

/** What the pages may show. */
export interface SiteOptions {
  /** Remove the model card from every .onnx file of the pages. */
  hideCards?: boolean;
}

/** Builds every model's page into one temporary folder (all or none: on a failure the folder is removed). */
export async function buildWebSites(models: NamedModel[], env: string | undefined, build: WebPageBuilder, onSite?: (done: number) => void, read: FileReading = {}, site: SiteOptions = {}): Promise<WebSites> {
  const folder = mkdtempSync(join(tmpdir(), 'qdistill-serve-web-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const roots = new Map<string, string>();
  try {
    for (const [i, { name, file }] of models.entries()) {
      const built = await build({ file, env, out: join(folder, name), ...read });
      if (built) {
        if (site.hideCards) removeCards(built.out);
        roots.set(name, built.out);
      }
      onSite?.(i + 1);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { roots, remove };
}

/** Rewrites every .onnx file directly in `folder` that carries a model card without it. */
function removeCards(folder: string): void {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.onnx')) continue;
    const path = join(folder, entry.name);
    const model = decodeModel(readFileSync(path), path);
    if (metadataOf(model)[METADATA_KEYS.card] === undefined) continue;
    setMetadata(model, { [METADATA_KEYS.card]: null });
    writeFileAtomic(path, encodeModel(model));
  }
}
