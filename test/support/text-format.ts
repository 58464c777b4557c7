// A strict reader of protobuf text format (what Triton's config.pbtxt is written in) into a protobufjs message
// type: protobufjs reads .proto schemas and the binary and JSON forms of messages, but not text format. Strict:
// an unknown field, a field given twice that is not repeated, a list for a singular field, a value of the
// wrong kind, an enum name the enum lacks or anything after the last field is an error naming its line; the
// message is then checked by the type's own verify(). It reads what a config needs: scalar fields, enums,
// nested messages ({ } or < >, with or without ':'), lists ([a, b]), maps as repeated { key value } entries,
// strings with C escapes (octal, hex, \n, \", …; adjacent strings joined) and # comments. Not read: Any,
// extensions, floats written as inf/nan, and bytes fields.
import { Enum, Type, type Field, type MapField, type Message, type ReflectionObject } from 'protobufjs';

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct';
  /** The identifier, the punctuation, the number as written, or a string's decoded text. */
  text: string;
  line: number;
}

const PUNCT = new Set([':', '{', '}', '[', ']', '<', '>', ',', ';']);

function decodeEscapes(body: string, line: number): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const next = body[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
    if (next in simple) bytes.push(simple[next]);
    else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      bytes.push(parseInt(octal, 8));
      i += octal.length - 1;
    } else if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 1))?.[0];
      if (!hex) throw new Error(`line ${line}: \\x without hex digits`);
      bytes.push(parseInt(hex, 16));
      i += hex.length;
    } else throw new Error(`line ${line}: unknown escape \\${next}`);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\n') throw new Error(`line ${line}: a string runs past the end of its line`);
        j += text[j] === '\\' ? 2 : 1;
      }
      if (j >= text.length) throw new Error(`line ${line}: an unterminated string`);
      const value = decodeEscapes(text.slice(i + 1, j), line);
      const last = tokens.at(-1);
      // Adjacent string literals are one string.
      if (last?.kind === 'string' && last.line === line) last.text += value;
      else tokens.push({ kind: 'string', text: value, line });
      i = j + 1;
    } else {
      const word = /^[-+]?[A-Za-z0-9_.]+/.exec(text.slice(i))?.[0];
      if (!word) throw new Error(`line ${line}: unexpected character '${c}'`);
      tokens.push({ kind: /^[-+]?[0-9.]/.test(word) ? 'number' : 'ident', text: word, line });
      i += word.length;
    }
  }
  return tokens;
}

class Reader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  next(what: string): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new Error(`the text ends where ${what} was expected`);
    return token;
  }

  take(punct: string): boolean {
    const token = this.peek();
    if (token?.kind === 'punct' && token.text === punct) {
      this.at++;
      return true;
    }
    return false;
  }

  expect(punct: string): void {
    const token = this.next(`'${punct}'`);
    if (token.kind !== 'punct' || token.text !== punct) throw new Error(`line ${token.line}: expected '${punct}', found '${token.text}'`);
  }
}

/** A scalar or enum value of type `type` (the .proto's name, e.g. int32) from one token. */
function scalar(fieldName: string, type: string, resolved: ReflectionObject | null, token: Token): unknown {
  const where = `line ${token.line}: field '${fieldName}'`;
  if (resolved instanceof Enum) {
    if (token.kind !== 'ident' || !(token.text in resolved.values)) throw new Error(`${where}: '${token.text}' is not a value of enum ${resolved.name}`);
    return resolved.values[token.text];
  }
  switch (type) {
    case 'string':
      if (token.kind !== 'string') throw new Error(`${where} takes a string, not '${token.text}'`);
      return token.text;
    case 'bool':
      if (token.kind !== 'ident' || !['true', 'false'].includes(token.text)) throw new Error(`${where} takes true or false, not '${token.text}'`);
      return token.text === 'true';
    case 'float':
    case 'double': {
      const n = Number(token.text);
      if (token.kind !== 'number' || !Number.isFinite(n)) throw new Error(`${where} takes a number, not '${token.text}'`);
      return n;
    }
    case 'int32': case 'sint32': case 'sfixed32': case 'uint32': case 'fixed32':
    case 'int64': case 'sint64': case 'sfixed64': case 'uint64': case 'fixed64': {
      const n = Number(token.text);
      if (token.kind !== 'number' || !/^[-+]?\d+$/.test(token.text) || !Number.isSafeInteger(n)) throw new Error(`${where} takes an integer, not '${token.text}'`);
      const unsigned = type.startsWith('u') || type.startsWith('fixed');
      if (unsigned && n < 0) throw new Error(`${where} is unsigned, not ${n}`);
      if (type.endsWith('32') && (unsigned ? n > 0xffffffff : n < -(2 ** 31) || n >= 2 ** 31)) throw new Error(`${where}: ${n} does not fit in ${type}`);
      return n;
    }
    default:
      throw new Error(`${where}: fields of type ${type} are not read here`);
  }
}

/** The fields of one message up to `closing` (or the end of the text when null), as a plain object. */
function readFields(reader: Reader, type: Type, closing: string | null): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (;;) {
    const token = reader.peek();
    if (closing === null ? token === undefined : reader.take(closing)) return object;
    const name = reader.next('a field name');
    if (name.kind !== 'ident') throw new Error(`line ${name.line}: expected a field name, found '${name.text}'`);
    const field = type.fields[name.text];
    if (!field) throw new Error(`line ${name.line}: ${type.name} has no field '${name.text}'`);
    field.resolve();
    const many = field.repeated || field.map;
    if (!many && name.text in object) throw new Error(`line ${name.line}: field '${name.text}' of ${type.name} is given twice`);
    const values: unknown[] = [];
    const isMessage = field.map ? true : field.resolvedType instanceof Type;
    const readOne = (): void => {
      if (field.map) values.push(readMapEntry(reader, field as unknown as MapField));
      else if (isMessage) values.push(readMessageBody(reader, field.resolvedType as Type));
      else values.push(scalar(field.name, field.type, field.resolvedType, reader.next(`a value of '${field.name}'`)));
    };
    const colon = reader.take(':');
    if (!colon && !isMessage) throw new Error(`line ${name.line}: expected ':' after '${name.text}'`);
    if (reader.take('[')) {
      if (!many) throw new Error(`line ${name.line}: field '${name.text}' of ${type.name} is not repeated, but is given a list`);
      if (!reader.take(']')) {
        do readOne();
        while (reader.take(','));
        reader.expect(']');
      }
    } else readOne();
    if (field.map) {
      const map = (object[name.text] ??= {}) as Record<string, unknown>;
      for (const [key, value] of values as [string, unknown][]) {
        if (key in map) throw new Error(`line ${name.line}: map '${name.text}' has the key '${key}' twice`);
        map[key] = value;
      }
    } else if (many) (object[name.text] = (object[name.text] as unknown[] | undefined) ?? []).push(...(values as unknown[]));
    else object[name.text] = values[0];
    reader.take(',') || reader.take(';');
  }
}

function readMessageBody(reader: Reader, type: Type): Record<string, unknown> {
  if (reader.take('{')) return readFields(reader, type, '}');
  if (reader.take('<')) return readFields(reader, type, '>');
  const token = reader.next(`a ${type.name} message`);
  throw new Error(`line ${token.line}: expected '{' to open a ${type.name}, found '${token.text}'`);
}

/** One `{ key: … value: … }` entry of a map field: [key, value]. */
function readMapEntry(reader: Reader, field: MapField): [string, unknown] {
  const closing = reader.take('{') ? '}' : reader.take('<') ? '>' : null;
  if (closing === null) throw new Error(`line ${reader.next('a map entry').line}: expected '{' to open an entry of map '${field.name}'`);
  let key: unknown;
  let value: unknown;
  while (!reader.take(closing)) {
    const name = reader.next(`the key or value of an entry of '${field.name}'`);
    if (name.text === 'key' && key === undefined) {
      reader.expect(':');
      key = scalar(`${field.name}.key`, field.keyType, null, reader.next('a map key'));
    } else if (name.text === 'value' && value === undefined) {
      if (field.resolvedType instanceof Type) {
        reader.take(':');
        value = readMessageBody(reader, field.resolvedType);
      } else {
        reader.expect(':');
        value = scalar(`${field.name}.value`, field.type, field.resolvedType, reader.next('a map value'));
      }
    } else throw new Error(`line ${name.line}: an entry of map '${field.name}' has 'key' and 'value' once each, not '${name.text}'`);
    reader.take(',') || reader.take(';');
  }
  if (key === undefined) throw new Error(`an entry of map '${field.name}' has no key`);
  return [String(key), value ?? {}];
}

/**
 * Reads `text` (protobuf text format) as a message of `type` (loaded with keepCase, so field names are the
 * .proto's snake_case); throws on anything the format or the schema does not allow, and on what
 * `type.verify` refuses.
 */
export function readTextFormat(text: string, type: Type): Message {
  const object = readFields(new Reader(tokenize(text)), type, null);
  const problem = type.verify(object);
  if (problem) throw new Error(`${type.name}: ${problem}`);
  return type.fromObject(object);
}
