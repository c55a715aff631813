/**
 * The live-event WebSocket of a conversation: reconnects with exponential backoff and jitter,
 * and pings so that proxies do not close an idle connection.
 */

/** Close codes the server uses when the token is missing or wrong, or the conversation is gone. */
const REJECTED = new Set([4401, 4403, 4404]);

/** Milliseconds to wait before reconnect attempt `attempt` (0-based): "equal jitter" backoff. */
export function backoffDelay(attempt, { baseMs = 1000, maxMs = 30000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Open and keep open a WebSocket. `token` is sent as the first message of every connection,
 * `{type: 'auth', token}`, never in the URL (URLs end up in access logs). Callbacks:
 * onEvent(object) per JSON message, onOpen(reconnected) after each (re)connection, onDown() when
 * a connection is lost or cannot be made, onRejected() when the server refuses the token (no
 * more retries).
 */
export function createLiveSocket(
  url,
  { token, onEvent, onOpen, onDown, onRejected, WebSocketImpl = globalThis.WebSocket, timers = globalThis, pingMs = 25000, random },
) {
  let socket = null;
  let attempt = 0;
  let opened = false;
  let stopped = false;
  let retryTimer = null;
  let pingTimer = null;

  function connect() {
    retryTimer = null;
    try {
      socket = new WebSocketImpl(url);
    } catch {
      // A CSP without the wss: source throws synchronously: treat it as a lost connection.
      scheduleRetry();
      return;
    }
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: 'auth', token }));
      attempt = 0;
      pingTimer = timers.setInterval(() => socket.send('{"type":"ping"}'), pingMs);
      onOpen(opened);
      opened = true;
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event && typeof event.type === 'string') onEvent(event);
    };
    socket.onclose = (close) => {
      timers.clearInterval(pingTimer);
      socket = null;
      if (stopped) return;
      if (REJECTED.has(close.code)) {
        stopped = true;
        onRejected();
        return;
      }
      scheduleRetry();
    };
  }

  function scheduleRetry() {
    onDown();
    retryTimer = timers.setTimeout(connect, backoffDelay(attempt++, { random }));
  }

  connect();
  return {
    /** Reconnect now instead of waiting out the backoff (e.g. the browser came back online). */
    retryNow() {
      if (retryTimer === null || stopped) return;
      timers.clearTimeout(retryTimer);
      connect();
    },
    /** Close for good. */
    close() {
      stopped = true;
      timers.clearTimeout(retryTimer);
      timers.clearInterval(pingTimer);
      socket?.close();
    },
  };
}
