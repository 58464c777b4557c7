// A request body parsed the way fastify's JSON parser (secure-json-parse under fastify's defaults) parses it,
// for the fast path, so that a body gets the same answer whichever way it arrives: a leading byte-order
// mark is dropped, and an object holding an own "__proto__" key, or a "constructor" object with a
// "prototype", is refused like broken JSON (JSON.parse itself pollutes nothing, but what fastify refuses
// must not pass here).

/** The body of `text`, or a SyntaxError when it is not JSON or holds a prototype-poisoning key. */
export function parseJsonBody(text: string): unknown {
  const body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  // The scan costs a walk of the whole body; only text that could spell one of the keys needs it.
  if (typeof body === 'object' && body !== null && /__proto__|constructor|\\u/.test(text)) refusePoisonedKeys(body);
  return body;
}

const own = (value: object, key: string) => Object.prototype.hasOwnProperty.call(value, key);

function refusePoisonedKeys(root: object): void {
  const pending: object[] = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (own(node, '__proto__')) throw new SyntaxError('the body holds a "__proto__" key');
    const ctor = (node as { constructor?: unknown }).constructor;
    if (own(node, 'constructor') && typeof ctor === 'object' && ctor !== null && own(ctor, 'prototype')) throw new SyntaxError('the body holds a "constructor.prototype" key');
    for (const value of Object.values(node)) if (typeof value === 'object' && value !== null) pending.push(value);
  }
}
