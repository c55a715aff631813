import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSSEParser, readEventStream } from '../sse.js';

function parseAll(chunks) {
  const events = [];
  const parser = createSSEParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const STREAM =
  'event: message\ndata: {"turn":{"id":1}}\n\n' +
  ': a comment\n' +
  'event: token\ndata: {"text":"Hello "}\n\n' +
  'event: reply\ndata: {"turn":\ndata: {"id":2}}\n\n';

const EXPECTED = [
  { event: 'message', data: '{"turn":{"id":1}}' },
  { event: 'token', data: '{"text":"Hello "}' },
  { event: 'reply', data: '{"turn":\n{"id":2}}' },
];

test('events, comments and multi-line data', () => {
  assert.deepEqual(parseAll([STREAM]), EXPECTED);
});

test('any split into chunks gives the same events', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(parseAll([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `split at ${i}`);
  }
  assert.deepEqual(parseAll([...STREAM]), EXPECTED);
});

test('CRLF and CR line endings, including a CRLF split across chunks', () => {
  const crlf = STREAM.replaceAll('\n', '\r\n');
  assert.deepEqual(parseAll([crlf]), EXPECTED);
  for (let i = 0; i <= crlf.length; i++) {
    assert.deepEqual(parseAll([crlf.slice(0, i), crlf.slice(i)]), EXPECTED, `split at ${i}`);
  }
  assert.deepEqual(parseAll([STREAM.replaceAll('\n', '\r')]), EXPECTED);
});

test('field details: no space after the colon, default event name, ignored fields', () => {
  assert.deepEqual(parseAll(['data:x\nid: 7\nretry: 10\nfoo: bar\n\n']), [{ event: 'message', data: 'x' }]);
  assert.deepEqual(parseAll(['data\n\n']), [{ event: 'message', data: '' }]);
  assert.deepEqual(parseAll(['data:  two spaces\n\n']), [{ event: 'message', data: ' two spaces' }]);
});

test('an event without data, or cut off by the end of the stream, is not dispatched', () => {
  assert.deepEqual(parseAll(['event: token\n\n']), []);
  assert.deepEqual(parseAll(['event: token\ndata: {"text":"partial"}\n']), []);
});

test('readEventStream decodes UTF-8 split across byte chunks', async () => {
  const bytes = new TextEncoder().encode('event: token\ndata: {"text":"¿Cuánto? 30 minutos 👍"}\n\n');
  const body = new ReadableStream({
    start(controller) {
      for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
      controller.close();
    },
  });
  const events = [];
  await readEventStream(body, (event) => events.push(event));
  assert.deepEqual(events, [{ event: 'token', data: '{"text":"¿Cuánto? 30 minutos 👍"}' }]);
});
