/** What the agent WebSocket's messages and closes mean for the console (pure: no DOM, no I/O). */

const TURN_EVENTS = new Set(['message', 'reply', 'agent_message']);
const UNREAD_EVENTS = new Set(['message', 'agent_message']);
const DETAIL_EVENTS = new Set(['handoff', 'agent_joined', 'transferred', 'closed', 'returned_to_bot', 'handoff_cancelled']);
// Close codes that mean the server refused the session: sign in again rather than reconnect.
const SESSION_ENDED = new Set([4401, 4403, 1008]);
export const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;

/** A socket message's event object, or null when it is not a JSON object. */
export function parseEvent(data) {
  let event;
  try {
    event = JSON.parse(data);
  } catch {
    return null;
  }
  return event && typeof event === 'object' ? event : null;
}

/**
 * What `event` asks of the console, given the selected ticket and the open chat's
 * conversation: `{ do: 'agents' }` (redraw who takes chats), `{ do: 'queue', detail }`
 * (reload the queue, and the open ticket when it changed), `{ do: 'unread', conversationId }`
 * (a badge on another chat), `{ do: 'turn', turn }`, `{ do: 'typing' }`,
 * `{ do: 'detail' }` (reload the open ticket), or null (nothing).
 */
export function reaction(event, { selectedId = null, openConversationId = null } = {}) {
  // Who takes chats changes on logins, opt-ins and heartbeats that stop: redraw on each.
  if (event.type === 'pong' || event.type === 'availability') return { do: 'agents' };
  if (event.type === 'ticket') {
    return { do: 'queue', detail: Boolean(event.ticket_id) && event.ticket_id === selectedId };
  }
  const conversationId = event.conversation_id;
  if (!conversationId) return null;
  if (conversationId !== openConversationId) {
    return UNREAD_EVENTS.has(event.type) ? { do: 'unread', conversationId } : null;
  }
  if (TURN_EVENTS.has(event.type)) return event.turn ? { do: 'turn', turn: event.turn } : null;
  if (event.type === 'token') return { do: 'typing' };
  if (DETAIL_EVENTS.has(event.type)) return { do: 'detail' };
  return null;
}

/** Whether a close code means the session is over (no reconnect). */
export function endsSession(code) {
  return SESSION_ENDED.has(code);
}

/** The wait before the reconnect after this one: doubled, at most 30 s. */
export function nextDelay(delay) {
  return Math.min(delay * 2, MAX_DELAY_MS);
}
