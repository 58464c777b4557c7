import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (works from src/util/ through tsx and from dist/util/). */
export const TOOL_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
