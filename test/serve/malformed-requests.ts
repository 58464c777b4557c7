// Malformed requests of every kind a server must refuse with a 4xx, for the tests and bench/serve-malformed.ts,
// and a sender on node:http that puts paths on the wire exactly as written (fetch would resolve '..').
import { request as httpRequest } from 'node:http';

export interface MalformedRequest {
  kind: 'broken-json' | 'bad-body' | 'content-type' | 'too-large' | 'unknown-path' | 'traversal';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Statuses a correct server may answer with. */
  expect: number[];
}

export interface MalformedTarget {
  /** A served model taking flat observations of `observationSize` values. */
  model: string;
  observationSize: number;
  /** A served model whose web page is mounted under /web/{webModel}/. */
  webModel: string;
  maxRequestBatch: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function malformedRequests(target: MalformedTarget): MalformedRequest[] {
  const act = `/v1/models/${target.model}:act`;
  const n = target.observationSize;
  const ok = Array.from({ length: n }, (_, i) => i / 10);
  const post = (kind: MalformedRequest['kind'], body: string | Buffer, expect: number[], headers: Record<string, string> = JSON_HEADERS): MalformedRequest => ({
    kind, method: 'POST', path: act, headers, body, expect,
  });
  const list: MalformedRequest[] = [];

  const brokenJson = [
    '{', '}', '[', '{"observation": [0,1,2,3]', '{"observation": [0,1,,2,3]}', '{"observation": [0,1,2,3],}', "{'observation': [0,1,2,3]}",
    '{observation: [0,1,2,3]}', '{"observation": [NaN, 0, 0, 0]}', '{"observation": [Infinity, 0, 0, 0]}', '{"observation": [-Infinity, 0, 0, 0]}',
    '{"observation": [0x1, 0, 0, 0]}', '{"observation": [01, 0, 0, 0]}', '{"observation": [.5, 0, 0, 0]}', '{"observation": [1., 0, 0, 0]}',
    'nul', 'tru', '"unterminated', '{"a":1}{"b":2}', '{"observation": [0,1,2,3]} trailing', '\u0000', '{"observation": undefined}',
    '{"observation": [0,1,2,3]//comment\n}', '{"__proto__": {"polluted": 1}, "observation": [0,0,0,0]}',
    '{"constructor": {"prototype": {"polluted": 1}}}', ' ', '\n\n',
  ];
  for (const body of brokenJson) list.push(post('broken-json', body, [400]));
  // Every proper prefix of a valid single and a valid batch body (cut mid-number, mid-key, mid-list).
  for (const whole of [JSON.stringify({ observation: ok }), JSON.stringify({ observations: [ok, ok] })]) {
    for (let end = 1; end < whole.length; end++) list.push(post('broken-json', whole.slice(0, end), [400]));
  }
  list.push(post('broken-json', Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x22]), [400]));
  list.push(post('broken-json', Buffer.from([0xc3, 0x28, 0x7b, 0x7d]), [400]));

  const badValues: unknown[] = [
    '"NaN"', '"Infinity"', '"-Infinity"', '"1"', 'null', 'true', 'false', '{}', '[]', '[1]', '"0x10"', '1e999', '-1e999', '1e39', '-3.5e38',
  ];
  const badBodies: unknown[] = [
    null, 1, 'observation', true, [], [ok], {}, { observation: null }, { observation: 'x' }, { observation: ok.join(',') },
    { observation: Object.fromEntries(ok.map((v, i) => [i, v])) }, { observation: ok, observations: [ok] }, { observation: ok, extra: 1 },
    { observations: [] }, { observations: ok }, { observations: 5 }, { observations: [ok, null] }, { observations: [ok, ok.slice(1)] },
    { observations: { 0: ok } }, { observations: [[ok]] }, { Observation: ok }, { observation: [ok] }, { observation: ok.map((v) => [v]) },
    { observations: Array.from({ length: target.maxRequestBatch + 1 }, () => ok) },
  ];
  for (const body of badBodies) list.push(post('bad-body', JSON.stringify(body), [400]));
  for (let length = 0; length <= n + 6; length++) {
    if (length === n) continue;
    list.push(post('bad-body', JSON.stringify({ observation: Array.from({ length }, () => 0.5) }), [400]));
    list.push(post('bad-body', JSON.stringify({ observations: [ok, Array.from({ length }, () => 0.5)] }), [400]));
  }
  for (let position = 0; position < n; position++) {
    for (const value of badValues) {
      const values = ok.map((v, i) => (i === position ? value : String(v)));
      list.push(post('bad-body', `{"observation": [${values.join(',')}]}`, [400]));
      list.push(post('bad-body', `{"observations": [[${ok.join(',')}], [${values.join(',')}]]}`, [400]));
    }
  }

  const contentTypes = [
    'text/plain', 'text/html', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
    'application/octet-stream', 'application/jsonx', 'json', 'application/javascript', 'image/png', '*/*', 'application',
  ];
  const okBody = JSON.stringify({ observation: ok });
  for (const type of contentTypes) list.push(post('content-type', okBody, [415], { 'content-type': type }));
  list.push(post('content-type', okBody, [415], {}));

  list.push(post('too-large', Buffer.alloc(10 * 1024 * 1024, 0x20), [413]));
  list.push(post('too-large', `{"observations": [${Array.from({ length: 200_000 }, () => `[${ok.join(',')}]`).join(',')}]}`, [413]));

  const unknownPaths: [string, string][] = [
    ['POST', '/v1/models/no-such-model:act'], ['POST', `/v1/models/${target.model}:predict`], ['POST', `/v1/models/${target.model}`],
    ['POST', `/v1/model/${target.model}:act`], ['POST', `/v1/models/${target.model}:act/extra`], ['POST', '/v1/models/:act'],
    ['GET', act], ['PUT', act], ['DELETE', act], ['PATCH', act], ['GET', '/v1/models/no-such-model'], ['GET', '/v2/models'],
    ['GET', '/nothing'], ['GET', '/web/no-such-model/'], ['GET', '/metrics/extra'], ['POST', '/healthz'], ['DELETE', '/v1/models'],
    ['GET', `/v1/models/${'x'.repeat(5000)}`], ['POST', `/v1/models/${'x'.repeat(5000)}:act`], ['GET', `/web/${target.webModel}/no-such-file.js`],
    ['GET', '/%'], ['GET', '/%zz'], ['GET', '/v1/models/%ff%fe'],
  ];
  for (const [method, path] of unknownPaths) {
    const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? okBody : undefined;
    list.push({ kind: 'unknown-path', method, path, headers: body ? JSON_HEADERS : {}, body, expect: [400, 404, 414] });
  }

  const web = `/web/${target.webModel}`;
  const traversals = [
    `${web}/../../../../../../etc/passwd`, `${web}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`, `${web}/%2E%2E/%2E%2E/package.json`,
    `${web}/..%2f..%2f..%2f..%2fetc%2fpasswd`, `${web}/%2e%2e%2f%2e%2e%2fpackage.json`, `${web}/..%5c..%5cpackage.json`,
    `${web}/....//....//etc/passwd`, `${web}/%252e%252e/%252e%252e/etc/passwd`, `${web}/../`, `${web}/%2e%2e/`, `${web}/..;/etc/passwd`,
    `${web}/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd`, `${web}/%00../../etc/passwd`, `${web}/index.html%00.txt`, `/web/%2e%2e/%2e%2e/etc/passwd`,
    `/web/../../etc/passwd`, '/../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '//etc/passwd', '/web//etc/passwd',
    `${web}/..%00/..%00/etc/passwd`, `${web}/.%2e/.%2e/etc/passwd`, `${web}/%2e./%2e./etc/passwd`,
  ];
  for (const path of traversals) list.push({ kind: 'traversal', method: 'GET', path, headers: {}, expect: [400, 403, 404] });
  return list;
}

export interface RawResponse {
  status: number;
  body: string;
}

/** Bodies above this are held back until the server has had a moment to refuse them from their headers. */
const LARGE_BODY = 64 * 1024;

/**
 * Sends one request exactly as given (path untouched, body as bytes) on a fresh connection. A server that
 * refuses a large body from its Content-Length answers 413 and closes at once, and Node does not drain
 * (linger on) the rest: a client still writing then meets EPIPE/ECONNRESET and may lose the answer. So, like
 * curl's Expect: 100-continue wait, a large body is written only if no answer came within 200 ms.
 */
export function sendRaw(base: string, request: Pick<MalformedRequest, 'method' | 'path' | 'headers' | 'body'>): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers: { connection: 'close', ...request.headers }, agent: false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const body = request.body;
    if (body === undefined) {
      req.end();
    } else if (Buffer.byteLength(body) <= LARGE_BODY) {
      req.end(body);
    } else {
      req.setHeader('content-length', Buffer.byteLength(body));
      req.flushHeaders();
      setTimeout(() => {
        if (!answered) req.end(body);
      }, 200);
    }
  });
}
