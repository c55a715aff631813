/**
 * The supportbot HTTP API: JSON calls with a timeout (AbortController) and retries for idempotent
 * requests; errors carry the server's {error_code, detail}. Network failures are status 0.
 */

import { readEventStream } from './sse.js';

/** A failed call: HTTP status (0 = network or timeout), stable error code, detail for people. */
export class ApiError extends Error {
  constructor(status, code, detail, retryAfterS = 0) {
    super(detail || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }

  /** Worth trying again later: the network, a timeout, rate limiting or a server error. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** A random UUID v4 (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newClientId(cryptoObject = globalThis.crypto) {
  if (typeof cryptoObject.randomUUID === 'function') return cryptoObject.randomUUID();
  const bytes = cryptoObject.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const retryAfter = Number(response.headers.get('Retry-After')) || 0;
  return new ApiError(
    response.status,
    body.error_code || `http_${response.status}`,
    body.detail || response.statusText,
    retryAfter,
  );
}

function networkError(error) {
  return new ApiError(0, 'network', String(error?.message || error));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client for one supportbot server. */
export function createApi(
  baseUrl,
  { fetchImpl = globalThis.fetch.bind(globalThis), timeoutMs = 20000, idleMs = 60000 } = {},
) {
  async function send(method, path, { token, body, retries = 0, stream = false, signal } = {}) {
    const headers = { Accept: stream ? 'text/event-stream' : 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const abort = () => controller.abort();
      signal?.addEventListener('abort', abort, { once: true });
      // Only the response headers are timed: a stream lasts as long as the answer.
      const timer = setTimeout(abort, timeoutMs);
      try {
        const response = await fetchImpl(baseUrl + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
          credentials: 'omit',
        });
        if (!response.ok) throw await errorOf(response);
        return response;
      } catch (error) {
        signal?.removeEventListener('abort', abort);
        const failure = error instanceof ApiError ? error : networkError(error);
        if (signal?.aborted || !failure.transient || attempt >= retries) throw failure;
        await sleep(500 * 2 ** attempt);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async function json(method, path, options) {
    const response = await send(method, path, options);
    return response.status === 204 ? null : response.json();
  }

  const conversation = (id) => `/api/conversations/${encodeURIComponent(id)}`;

  return {
    /** Start a conversation: {id, token, locale, mode, created_at}. */
    createConversation: (customer) => json('POST', '/api/conversations', { body: customer }),

    /** The conversation with its turns. */
    getConversation: (id, token) => json('GET', conversation(id), { token, retries: 2 }),

    /** Send a message while a person answers (no bot reply): {message, reply: null, mode}. */
    postMessage: (id, token, message) =>
      json('POST', `${conversation(id)}/messages`, { token, body: message }),

    /**
     * Send a message and stream the answer; onEvent({type, ...data}) per SSE event. A stream
     * silent for idleMs counts as a network failure (the connection may be dead without a FIN).
     */
    async streamMessage(id, token, message, onEvent, signal) {
      const local = new AbortController();
      signal?.addEventListener('abort', () => local.abort(), { once: true });
      let idle = setTimeout(() => local.abort(), timeoutMs + idleMs);
      const path = `${conversation(id)}/messages/stream`;
      try {
        const response = await send('POST', path, { token, body: message, stream: true, signal: local.signal });
        await readEventStream(response.body, ({ event, data }) => {
          clearTimeout(idle);
          idle = setTimeout(() => local.abort(), idleMs);
          onEvent({ ...JSON.parse(data), type: event });
        });
      } catch (error) {
        throw error instanceof ApiError ? error : networkError(error);
      } finally {
        clearTimeout(idle);
      }
    },

    /** Thumbs up/down on a bot turn, or CSAT ({csat}); an upsert, so retrying is safe. */
    feedback: (id, token, body) => json('POST', `${conversation(id)}/feedback`, { token, body, retries: 2 }),

    /** Ask for a person (optionally leaving an email): {mode: waiting|offline, wait_message}. */
    handoff: (id, token, email) =>
      json('POST', `${conversation(id)}/handoff`, { token, body: email ? { email } : {} }),
    /** Cancel a waiting request for a person: {mode, notice} (notice empty if one took it). */
    cancelHandoff: (id, token) => json('POST', `${conversation(id)}/handoff/cancel`, { token }),

    /** The active announcements for a banner query (banner.js): [{id, kind, title, text}]. */
    announcements: (query) => json('GET', `/api/announcements/active${query}`),
    /** Whether to ask the NPS question: {due, period_days}. */
    npsDue: (id, token) => json('GET', `${conversation(id)}/nps`, { token }),
    /** The NPS answer {score, comment}; 409 when this customer already answered lately. */
    answerNps: (id, token, body) => json('POST', `${conversation(id)}/nps`, { token, body }),
    /** What editors suggest on a page of the host site: {path, questions, articles, nudge_after_s}. */
    suggestions: (page, locale) =>
      json('GET', `/api/suggestions?page=${encodeURIComponent(page)}&locale=${encodeURIComponent(locale)}`),
  };
}
