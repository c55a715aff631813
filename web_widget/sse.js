/**
 * Server-Sent Events over fetch: the reply stream is a POST, which EventSource cannot send.
 * createSSEParser is pure (text in, events out); readEventStream drives it from a
 * ReadableStream of bytes. Format: https://html.spec.whatwg.org/multipage/server-sent-events.html
 */

/** A parser fed with text chunks in any split; calls onEvent({event, data}) per complete event. */
export function createSSEParser(onEvent) {
  let buffer = '';
  let name = '';
  let data = [];

  function field(line) {
    if (line === '') {
      if (data.length) onEvent({ event: name || 'message', data: data.join('\n') });
      name = '';
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const key = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (key === 'event') name = value;
    else if (key === 'data') data.push(value);
  }

  return {
    /** Add the next piece of text; an event left incomplete at the end of the stream is dropped. */
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== '\n' && c !== '\r') continue;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (c === '\r' && i + 1 === buffer.length) break;
        field(buffer.slice(start, i));
        if (c === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },

    /** The stream ended: a CR held back as a possible half of CRLF ends its line after all. */
    end() {
      if (buffer.endsWith('\r')) field(buffer.slice(0, -1));
      buffer = '';
    },
  };
}

/** Read a byte stream (a fetch Response body) to its end, calling onEvent for each SSE event. */
export async function readEventStream(body, onEvent) {
  const parser = createSSEParser(onEvent);
  const reader = body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(decoder.decode(value, { stream: true }));
  }
  parser.push(decoder.decode());
  parser.end();
}
