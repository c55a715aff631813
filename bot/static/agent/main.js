/**
 * supportbot agent console: plain JS, no build step.
 *
 * Safety rule for this file: text that comes from the server (customer, bot and agent
 * messages, notes, summaries, context) is only ever put in the page with textContent or
 * createTextNode, through el() (shared/dom.js), or, for messages, through the chat widget's
 * renderer (render.js: its markdown subset built as DOM nodes, as the customer saw it).
 * innerHTML is never used. Links are made only for http(s) URLs (safeUrl).
 */

import { parseMessage, toNodes } from '/agent/render.js';
import { session } from '../shared/api.js';
import { $, el, link, setMessage, show } from '../shared/dom.js';
import { clock, percent, waited } from '../shared/format.js';
import * as shared from '../shared/login.js';

const TOKEN_KEY = 'supportbot.agent.token';
const AGENT_KEY = 'supportbot.agent.profile';
const PING_MS = 25000;
const CLOCK_MS = 15000;
const REPLY_RETRIES_MS = [1000, 3000]; // resends of a reply that got no answer (same client_id)

const REASONS = {
  explicit_request: 'Asked for a person',
  low_confidence: 'Low answer confidence',
  weak_streak: 'Weak answers in a row',
  emotion: 'Upset customer',
  repeated_failure: 'Repeated failure',
  sensitive_topic: 'Sensitive topic',
  system_error: 'System error',
};
const ROLES = { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'System' };
const STATUSES = {
  open: 'Waiting',
  claimed: 'Claimed',
  resolved: 'Resolved',
  returned: 'Back with the bot',
  cancelled: 'Cancelled by the customer',
};

const state = {
  token: null,
  agent: null,
  scope: 'active',
  priority: '',
  tickets: [],
  agents: new Map(),
  selectedId: null,
  detail: null,
  unread: new Set(),
  ws: null,
  watched: new Set(),
  reconnectDelay: 1000,
  reconnectTimer: null,
  pingTimer: null,
  refreshTimer: null,
  detailTimer: null,
  clockTimer: null,
  stickToBottom: true,
  loadingDetail: 0,
  busy: false,
  pendingReply: null, // { ticketId, text, clientId } until the server has stored it
};

/* ---------- formatting ---------- */

function reasonLabel(reason) {
  return REASONS[reason] || String(reason).replace(/_/g, ' ');
}

function agentName(id) {
  if (!id) return '';
  if (state.agent && id === state.agent.id) return 'you';
  const agent = state.agents.get(id);
  return agent ? agent.display_name || agent.name : 'another agent';
}

/* ---------- API and session ---------- */

const { api, load: loadSession, save: saveSession, forget } = session(state, {
  tokenKey: TOKEN_KEY,
  agentKey: AGENT_KEY,
  onExpired: endSession,
});

function explain(error) {
  if (error.code === 'already_claimed') return 'Another agent took this chat.';
  if (error.code === 'rate_limited') return 'Too many requests. Wait a moment and try again.';
  if (error.code === 'invalid_transition') return `This chat can no longer do that: ${error.message}`;
  return error.message || 'Something went wrong.';
}

/* ---------- session ---------- */

function endSession(message) {
  forget();
  closeSocket();
  clearInterval(state.clockTimer);
  state.tickets = [];
  state.detail = null;
  state.selectedId = null;
  state.unread.clear();
  $('ticket-list').replaceChildren();
  $('transcript').replaceChildren();
  $('note-list').replaceChildren();
  show($('ticket-body'), false);
  show($('ticket-placeholder'), true);
  showLogin(message);
}

function showLogin(message) {
  shared.showLogin('console-view', 'Agent console', message);
}

function onLogin(event) {
  return shared.logIn(event, { api, save: saveSession, explain, start: startConsole });
}

function onLogout() {
  return shared.logOut(api, endSession);
}

async function startConsole() {
  shared.showSignedIn('console-view', state.agent);
  connect();
  clearInterval(state.clockTimer);
  state.clockTimer = setInterval(tickClock, CLOCK_MS);
  await Promise.all([loadAgents(), loadQueue()]);
  if (state.selectedId) await openTicket(state.selectedId, { focus: false });
  const first = document.querySelector('.ticket-item');
  (first || $('main')).focus();
}

/* ---------- live events ---------- */

function setConnection(stateName, label) {
  const node = $('connection');
  node.dataset.state = stateName;
  node.textContent = label;
}

function connect() {
  closeSocket();
  if (!state.token) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  setConnection('connecting', 'Connecting…');
  const ws = new WebSocket(`${scheme}//${location.host}/ws/agent`);
  state.ws = ws;
  state.watched = new Set();
  ws.addEventListener('open', () => {
    if (state.ws !== ws) return;
    // The session token goes in the first message, never in the URL (URLs reach access logs).
    ws.send(JSON.stringify({ type: 'auth', token: state.token }));
    state.reconnectDelay = 1000;
    setConnection('online', 'Live');
    watchRelevant();
    state.pingTimer = setInterval(() => send({ type: 'ping' }), PING_MS);
    // Catch up on whatever happened while we were away.
    scheduleQueueRefresh(0);
    if (state.selectedId) scheduleDetailRefresh(0);
  });
  ws.addEventListener('message', (event) => {
    if (state.ws !== ws) return;
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    if (data && typeof data === 'object') onEvent(data);
  });
  ws.addEventListener('close', (event) => {
    if (state.ws !== ws) return;
    clearInterval(state.pingTimer);
    state.ws = null;
    if (!state.token) return;
    if (event.code === 4401 || event.code === 1008 || event.code === 4403) {
      endSession('Your session has ended. Please sign in again.');
      return;
    }
    const delay = state.reconnectDelay;
    state.reconnectDelay = Math.min(delay * 2, 30000);
    setConnection('offline', `Reconnecting in ${Math.round(delay / 1000)} s…`);
    state.reconnectTimer = setTimeout(connect, delay);
  });
}

function closeSocket() {
  clearTimeout(state.reconnectTimer);
  clearInterval(state.pingTimer);
  const ws = state.ws;
  state.ws = null;
  if (ws) ws.close(1000, 'bye');
  setConnection('offline', 'Offline');
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

/** Follow the open ticket's conversation and the chats I hold (for new-message badges). */
function watchRelevant() {
  const ids = new Set();
  if (state.detail) ids.add(state.detail.ticket.conversation_id);
  for (const ticket of state.tickets) {
    if (ticket.status === 'claimed' && state.agent && ticket.agent_id === state.agent.id) {
      ids.add(ticket.conversation_id);
    }
  }
  for (const id of ids) watch(id);
}

function watch(conversationId) {
  if (!conversationId || state.watched.has(conversationId)) return;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return;
  state.watched.add(conversationId);
  send({ type: 'watch', conversation_id: conversationId });
}

function onEvent(event) {
  // Who takes chats changes on logins, opt-ins and heartbeats that stop: redraw on each.
  if (event.type === 'pong' || event.type === 'availability') {
    loadAgents();
    return;
  }
  if (event.type === 'ticket') {
    scheduleQueueRefresh(150);
    if (event.ticket_id && event.ticket_id === state.selectedId) scheduleDetailRefresh(150);
    return;
  }
  const conversationId = event.conversation_id;
  if (!conversationId) return;
  const current = state.detail && state.detail.ticket.conversation_id === conversationId;
  if (!current) {
    if (event.type === 'message' || event.type === 'agent_message') markUnread(conversationId);
    return;
  }
  switch (event.type) {
    case 'message':
    case 'reply':
    case 'agent_message':
      if (event.turn) addTurn(event.turn);
      break;
    case 'token':
      showTyping(true);
      break;
    case 'handoff':
    case 'agent_joined':
    case 'transferred':
    case 'closed':
    case 'returned_to_bot':
    case 'handoff_cancelled':
      scheduleDetailRefresh(100);
      break;
    default:
      break;
  }
}

function markUnread(conversationId) {
  const ticket = state.tickets.find((t) => t.conversation_id === conversationId);
  if (!ticket) return;
  state.unread.add(ticket.id);
  renderQueue();
}

function scheduleQueueRefresh(delay) {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => loadQueue().catch(() => {}), delay);
}

function scheduleDetailRefresh(delay) {
  clearTimeout(state.detailTimer);
  state.detailTimer = setTimeout(() => {
    if (state.selectedId) openTicket(state.selectedId, { focus: false, quiet: true }).catch(() => {});
  }, delay);
}

/* ---------- queue ---------- */

async function loadAgents() {
  try {
    const agents = await api('GET', '/api/agent/agents');
    state.agents = new Map(agents.map((a) => [a.id, a]));
  } catch {
    /* transfers then only offer "back to the queue" */
  }
  renderTransferOptions();
  renderAvailability();
}

function renderAvailability() {
  const names = [...state.agents.values()].filter((a) => a.online).map((a) => a.display_name || a.name);
  const text = names.length ? `Taking chats now: ${names.join(', ')}` : 'Nobody is taking chats now';
  if ($('availability').textContent !== text) $('availability').textContent = text;
}

async function loadQueue() {
  if (!state.token) return;
  const params = new URLSearchParams({ status: state.scope });
  if (state.priority) params.set('priority', state.priority);
  try {
    state.tickets = await api('GET', `/api/agent/tickets?${params}`);
    setMessage($('queue-error'), '');
  } catch (error) {
    if (state.token) setMessage($('queue-error'), `Could not load the queue: ${explain(error)}`);
    return;
  }
  const known = new Set(state.tickets.map((t) => t.id));
  for (const id of state.unread) if (!known.has(id)) state.unread.delete(id);
  renderQueue();
  watchRelevant();
}

function renderQueue() {
  const list = $('ticket-list');
  const hadFocus = list.contains(document.activeElement) ? document.activeElement.dataset.ticketId : null;
  const items = state.tickets.map(renderTicketItem);
  list.replaceChildren(...items);
  $('queue-count').textContent = String(state.tickets.length);
  show($('queue-empty'), state.tickets.length === 0);
  if (hadFocus) {
    const again = list.querySelector(`[data-ticket-id="${CSS.escape(hadFocus)}"]`);
    if (again) again.focus();
  }
  const waiting = state.tickets.filter((t) => t.status === 'open').length;
  document.title = waiting ? `(${waiting}) Agent console` : 'Agent console';
}

function renderTicketItem(ticket) {
  const selected = ticket.id === state.selectedId;
  const mine = state.agent && ticket.agent_id === state.agent.id;
  const unread = state.unread.has(ticket.id);
  const summaryLine = (ticket.summary || '').split('\n').find((line) => line.trim()) || 'No summary';
  const who = ticket.customer_email || 'Anonymous customer';
  let statusText = STATUSES[ticket.status] || ticket.status;
  if (ticket.status === 'claimed') statusText = mine ? 'Yours' : `With ${agentName(ticket.agent_id)}`;

  const button = el(
    'button',
    {
      className: 'ticket-item',
      attrs: { type: 'button', 'aria-current': selected ? 'true' : null },
      dataset: { ticketId: ticket.id },
      on: { click: () => openTicket(ticket.id) },
    },
    el(
      'span',
      { className: 'ticket-line' },
      el('span', {
        className: `badge prio prio-${ticket.priority}`,
        text: ticket.priority,
        attrs: { 'aria-label': `Priority ${ticket.priority}` },
      }),
      el('span', { className: 'ticket-who', text: who }),
      el('span', {
        className: 'ticket-wait',
        text: waited(ticket.created_at),
        dataset: { since: ticket.created_at },
        attrs: { title: `Waiting since ${new Date(ticket.created_at).toLocaleString()}` },
      }),
    ),
    el('span', { className: 'ticket-summary', text: summaryLine }),
    el(
      'span',
      { className: 'ticket-line ticket-tags' },
      ...ticket.reasons.map((r) => el('span', { className: 'chip', text: reasonLabel(r) })),
      el('span', { className: `status status-${ticket.status}${mine ? ' status-mine' : ''}`, text: statusText }),
      ticket.offline ? el('span', { className: 'chip chip-offline', text: 'Offline – email' }) : null,
      unread ? el('span', { className: 'dot', text: 'New message' }) : null,
    ),
  );
  return el('li', { className: selected ? 'selected' : '' }, button);
}

function tickClock() {
  for (const node of document.querySelectorAll('.ticket-wait[data-since]')) {
    node.textContent = waited(node.dataset.since);
  }
}

/* ---------- ticket ---------- */

async function openTicket(id, { focus = true, quiet = false } = {}) {
  const switching = id !== state.selectedId;
  state.selectedId = id;
  state.unread.delete(id);
  const load = ++state.loadingDetail;
  if (switching) {
    setMessage($('ticket-error'), '');
    setMessage($('ticket-info'), '');
    renderQueue();
    loadAgents(); // who is online now, for the transfer list
  }
  let detail;
  try {
    detail = await api('GET', `/api/agent/tickets/${encodeURIComponent(id)}`);
  } catch (error) {
    if (load !== state.loadingDetail) return;
    if (!quiet || error.status === 404) setMessage($('ticket-error'), `Could not open the ticket: ${explain(error)}`);
    return;
  }
  if (load !== state.loadingDetail) return; // a newer click won
  const keepDrafts = !switching && state.detail && state.detail.ticket.id === detail.ticket.id;
  if (keepDrafts) {
    // A load that started before a reply was sent must not hide it: turns are never deleted.
    const loaded = new Set(detail.turns.map((t) => t.id));
    detail.turns.push(...state.detail.turns.filter((t) => !loaded.has(t.id)));
    detail.turns.sort((a, b) => a.seq - b.seq);
  }
  state.detail = detail;
  renderDetail(keepDrafts);
  watch(detail.ticket.conversation_id);
  if (focus) $('ticket-title').focus();
}

/** What the customer wrote about themselves in the chat (name, order numbers): unverified. */
function saidInChat(customer) {
  const said = customer && typeof customer.said_in_chat === 'object' ? customer.said_in_chat : null;
  return {
    name: (said && typeof said.name === 'string' && said.name) || '',
    orders: said && Array.isArray(said.order_numbers) ? said.order_numbers.map(String) : [],
  };
}

/** Conversations an agent merged into this ticket: summary, then the transcript. */
function renderLinked(linked) {
  show($('linked'), linked.length > 0);
  $('linked-list').replaceChildren(
    ...linked.map((conversation) =>
      el(
        'details',
        { className: 'linked-conversation' },
        el('summary', { text: `Earlier request, merged ${waited(conversation.linked_at)} ago` }),
        el('p', { className: 'summary', text: conversation.summary || 'No summary.' }),
        el(
          'ol',
          { className: 'transcript linked-transcript', attrs: { 'aria-label': 'Earlier conversation' } },
          ...(Array.isArray(conversation.turns) ? conversation.turns : []).map(renderTurn),
        ),
      ),
    ),
  );
}

/** Other active tickets with this customer record or email: only a hint (emails are not
 * verified); the agent who recognises the customer merges one into this ticket. */
function renderPossiblySame(ticket, others) {
  show($('possibly-same'), others.length > 0);
  $('possibly-same-list').replaceChildren(
    ...others.map((other) => {
      const holder = other.status === 'claimed' ? ` by ${agentName(other.agent_id)}` : '';
      const label = `Ticket ${String(other.id).slice(0, 8)}, ${other.status}${holder}`;
      return el(
        'li',
        { className: 'possibly-same-ticket' },
        el('p', { className: 'possibly-same-label', text: label }),
        el('p', { className: 'summary', text: String(other.summary || '').split('\n')[0] }),
        ['open', 'claimed'].includes(ticket.status) &&
          el('button', {
            className: 'btn merge-ticket',
            text: 'Merge into this ticket',
            attrs: { type: 'button', 'aria-label': `Merge ${label} into this ticket` },
            on: { click: () => mergeIntoThis(ticket, other, label) },
          }),
      );
    }),
  );
}

/** After the agent confirms: the other ticket closes and its chat is listed (and follows) here. */
async function mergeIntoThis(ticket, other, label) {
  const question =
    `Merge ${label} into this ticket?\n\nOnly if you are sure it is the same customer: ` +
    'their emails are not verified. That ticket closes, its chat is listed here and follows this ' +
    'ticket; your replies go to this chat.';
  if (!window.confirm(question)) return;
  await act('merge', {
    on: other.id,
    body: { into: ticket.id },
    success: 'Merged: the other chat is listed under earlier conversations of this customer.',
  });
}

/** Replies made from the articles the bot used; "Insert" puts one in the reply box (not sent). */
function renderReplies(replies) {
  $('ctx-replies').replaceChildren(
    ...(replies.length
      ? replies.map((reply) =>
          el(
            'li',
            { className: 'source suggested-reply' },
            el('div', { className: 'source-title' }, link(reply.url, reply.title || reply.article_id)),
            el('p', { className: 'snippet', text: reply.passage }),
            el('button', {
              className: 'btn insert-reply',
              text: 'Insert',
              attrs: { type: 'button', 'aria-label': `Insert a reply from “${reply.title}”` },
              on: { click: () => insertReply(reply.text) },
            }),
          ),
        )
      : [el('li', { className: 'muted', text: 'The bot used no articles in this chat.' })]),
  );
}

/** Put `text` in the reply box at the cursor (a draft stays); the agent reviews and sends it. */
function insertReply(text) {
  const box = $('reply-text');
  if (box.disabled) return;
  const before = box.value.slice(0, box.selectionStart);
  const after = box.value.slice(box.selectionEnd);
  const gap = before && !before.endsWith('\n') ? '\n\n' : '';
  box.value = `${before}${gap}${text}${after}`;
  const end = before.length + gap.length + text.length;
  box.focus();
  box.setSelectionRange(end, end);
}

/** The customer's own claims (name, email, metadata...): never shown as verified facts. */
function suppliedBy(customer) {
  const supplied = customer && typeof customer.customer_supplied === 'object' ? customer.customer_supplied : null;
  return supplied || {};
}

function renderDetail(keepDrafts) {
  const { ticket, context, turns, notes, suggestions, mode, customer } = state.detail;
  const supplied = suppliedBy(customer);
  const said = saidInChat(customer);
  show($('ticket-placeholder'), false);
  show($('ticket-body'), true);

  const title = $('ticket-title');
  if (!supplied.name && said.name) {
    title.replaceChildren(said.name, el('span', { className: 'chip chip-said', text: 'said by the customer' }));
  } else {
    title.textContent = supplied.name || supplied.email || ticket.customer_email || 'Anonymous customer';
  }
  const meta = $('ticket-meta');
  const status =
    ticket.status === 'claimed'
      ? `Claimed by ${agentName(ticket.agent_id)}`
      : STATUSES[ticket.status] || ticket.status;
  const metaItems = [
    el('span', { className: `badge prio prio-${ticket.priority}`, text: ticket.priority }),
    el('span', { className: `status status-${ticket.status}`, text: status }),
    el('span', { text: `Opened ${waited(ticket.created_at)} ago` }),
    el('span', { text: `Chat mode: ${mode}` }),
  ];
  if (supplied.name || supplied.email) {
    metaItems.push(el('span', { className: 'chip chip-unverified', text: 'Name and email not verified' }));
  }
  if (ticket.offline) metaItems.push(el('span', { className: 'chip chip-offline', text: 'Came in while offline' }));
  meta.replaceChildren(...metaItems);

  renderLinked(Array.isArray(state.detail.linked) ? state.detail.linked : []);
  renderPossiblySame(ticket, Array.isArray(state.detail.possibly_same) ? state.detail.possibly_same : []);
  const list = $('transcript');
  list.replaceChildren(...turns.map(renderTurn));
  showTyping(false);
  scrollTranscript(true);

  $('note-list').replaceChildren(
    ...(notes.length
      ? notes.map(renderNote)
      : [el('li', { className: 'muted', text: 'No notes yet.' })]),
  );

  renderCustomer(ticket, customer || {});
  renderContext(ticket, context || {}, suggestions || []);
  renderReplies(Array.isArray(state.detail.suggested_replies) ? state.detail.suggested_replies : []);
  if (!keepDrafts) {
    $('reply-text').value = '';
    $('note-text').value = '';
    $('return-note').value = '';
    show($('return-form'), false);
  }
  renderActions();
  renderQueue();
}

function renderTurn(turn) {
  const role = ROLES[turn.role] ? turn.role : 'system';
  const item = el('li', {
    className: `turn turn-${role}${turn.kind ? ` kind-${turn.kind.replace(/[^a-z_]/g, '')}` : ''}`,
    dataset: { turnId: turn.id },
  });
  const head = el(
    'div',
    { className: 'turn-head' },
    el('span', { className: 'turn-role', text: ROLES[role] }),
    el('time', { text: clock(turn.created_at), attrs: { datetime: turn.created_at } }),
  );
  if (turn.role === 'bot' && typeof turn.confidence === 'number') {
    head.append(el('span', { className: 'turn-conf', text: `confidence ${percent(turn.confidence)}` }));
  }
  item.append(head, el('div', { className: 'turn-text' }, messageNodes(turn)));
  if (Array.isArray(turn.citations) && turn.citations.length) {
    item.append(
      el(
        'ol',
        { className: 'citations', attrs: { 'aria-label': 'Sources cited' } },
        ...turn.citations.map((c) =>
          el('li', { attrs: { value: c.n } }, link(c.url, c.section ? `${c.title} – ${c.section}` : c.title)),
        ),
      ),
    );
  }
  return item;
}

/** A message's markdown (bold, lists, links, [n] citations) as DOM nodes; never HTML. */
function messageNodes(turn) {
  const citations = Array.isArray(turn.citations) ? turn.citations : [];
  return toNodes(document, parseMessage(turn.text || '', citations, location.origin));
}

function addTurn(turn) {
  if (!state.detail) return;
  const turns = state.detail.turns;
  if (turns.some((t) => t.id === turn.id)) return;
  turns.push(turn);
  turns.sort((a, b) => a.seq - b.seq);
  const list = $('transcript');
  const nearBottom = state.stickToBottom || list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const node = renderTurn(turn);
  const next = [...list.children].find((li) => {
    const other = turns.find((t) => String(t.id) === li.dataset.turnId);
    return other && other.seq > turn.seq;
  });
  list.insertBefore(node, next || null);
  if (turn.role !== 'customer') showTyping(false);
  scrollTranscript(nearBottom);
}

function showTyping(on) {
  const list = $('transcript');
  const existing = list.querySelector('.typing');
  if (on && !existing) {
    list.append(el('li', { className: 'typing', text: 'The bot is writing…', attrs: { 'aria-hidden': 'true' } }));
  } else if (!on && existing) {
    existing.remove();
  }
}

function scrollTranscript(force) {
  const list = $('transcript');
  if (force) {
    list.scrollTop = list.scrollHeight;
    state.stickToBottom = true;
  }
}

/** Keep the newest message in view when the transcript is resized, if it was in view. */
function followTranscript() {
  const list = $('transcript');
  list.addEventListener('scroll', () => {
    state.stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
  });
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      if (state.stickToBottom) list.scrollTop = list.scrollHeight;
    }).observe(list);
  }
}

function renderNote(note) {
  return el(
    'li',
    { className: 'note' },
    el(
      'div',
      { className: 'note-head' },
      el('strong', { text: note.agent_id === (state.agent && state.agent.id) ? 'You' : agentName(note.agent_id) || 'Agent' }),
      el('time', { text: clock(note.created_at), attrs: { datetime: note.created_at } }),
    ),
    el('p', { className: 'note-text', text: note.text }),
  );
}

/**
 * Who the customer is. Only `customer.verified` (checked by the server) is shown as fact;
 * everything the customer or their page sent, metadata included, goes under "Provided by the
 * customer (unverified)", as text, so a metadata key like "verified" or "Identity check"
 * cannot pass for a server field (issue 15, item 10).
 */
function renderCustomer(ticket, customer) {
  const verified = customer.verified && typeof customer.verified === 'object' ? Object.entries(customer.verified) : [];
  $('ctx-verified').replaceChildren(
    verified.length
      ? el(
          'dl',
          { className: 'kv verified', attrs: { 'aria-label': 'Verified by the server' } },
          ...verified.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: String(v) })]),
        )
      : el('p', { className: 'muted small', text: 'Nothing about this customer has been verified.' }),
  );
  const supplied = suppliedBy(customer);
  const said = saidInChat(customer);
  const saidChip = () => el('span', { className: 'chip chip-said', text: 'said by the customer' });
  const rows = [
    ['Name', supplied.name || (said.name ? el('span', {}, said.name, saidChip()) : '–')],
    ['Email', supplied.email || ticket.customer_email || '–'],
    ['Page', supplied.page_url ? link(supplied.page_url) : '–'],
    ['Locale', supplied.locale || '–'],
  ];
  const metadata = supplied.metadata && typeof supplied.metadata === 'object' ? supplied.metadata : {};
  if (said.name && supplied.name && said.name !== supplied.name) {
    rows.push(['Name in chat', el('span', {}, said.name, saidChip())]);
  }
  if (said.orders.length) rows.push(['Order numbers', el('span', {}, said.orders.join(', '), saidChip())]);
  for (const [key, value] of Object.entries(metadata)) rows.push([`“${key}”`, String(value)]);
  $('ctx-customer').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

function renderContext(ticket, context, suggestions) {
  $('ctx-summary').textContent = ticket.summary || 'No summary.';

  const findings = Array.isArray(context.findings) ? context.findings : [];
  $('ctx-findings').replaceChildren(
    ...(findings.length
      ? findings.map((f) =>
          el(
            'li',
            { className: 'finding' },
            el(
              'div',
              { className: 'finding-head' },
              el('span', { className: 'chip', text: reasonLabel(f.reason) }),
              el('span', { className: 'score', text: `score ${percent(f.score)}` }),
              f.priority ? el('span', { className: `badge prio prio-${f.priority}`, text: f.priority }) : null,
            ),
            f.detail ? el('p', { className: 'finding-detail', text: f.detail }) : null,
          ),
        )
      : ticket.reasons.map((r) => el('li', { className: 'finding' }, el('span', { className: 'chip', text: reasonLabel(r) })))),
  );

  const scores = context.scores && typeof context.scores === 'object' ? context.scores : {};
  const scoreRows = [];
  for (const [name, value] of Object.entries(scores)) {
    if (name === 'answer_confidences') continue;
    if (typeof value === 'number') scoreRows.push([name.replace(/_/g, ' '), percent(value)]);
  }
  const confidences = Array.isArray(scores.answer_confidences) ? scores.answer_confidences : [];
  scoreRows.push([
    'answer confidences',
    confidences.length ? confidences.map((c) => (typeof c === 'number' ? percent(c) : '–')).join(', ') : 'no bot answers',
  ]);
  $('ctx-scores').replaceChildren(...scoreRows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));

  const sources = Array.isArray(context.sources) ? context.sources : [];
  $('ctx-sources').replaceChildren(
    ...(sources.length
      ? sources.map((s) =>
          el(
            'li',
            { className: 'source' },
            el('div', { className: 'source-title' }, link(s.url, s.title || s.article_id), s.section ? el('span', { className: 'muted', text: ` · ${s.section}` }) : null),
            s.snippet ? el('p', { className: 'snippet', text: s.snippet }) : null,
            el('span', { className: 'muted small', text: `answer #${s.turn} · relevance ${percent(s.relevance)}` }),
          ),
        )
      : [el('li', { className: 'muted', text: 'The bot cited no articles.' })]),
  );

  $('ctx-suggestions').replaceChildren(
    ...(suggestions.length
      ? suggestions.map((s) =>
          el(
            'li',
            { className: 'source' },
            el('div', { className: 'source-title' }, link(s.url, s.title || s.article_id)),
            s.snippet ? el('p', { className: 'snippet', text: s.snippet }) : null,
            el('span', { className: 'muted small', text: `relevance ${percent(s.relevance)}` }),
          ),
        )
      : [el('li', { className: 'muted', text: 'No matching articles.' })]),
  );
}

function renderTransferOptions() {
  const select = $('transfer-to');
  const current = select.value;
  const options = [el('option', { text: 'Back to the queue', attrs: { value: '' } })];
  for (const agent of state.agents.values()) {
    if (state.agent && agent.id === state.agent.id) continue;
    const label = `${agent.display_name || agent.name}${agent.online ? ' (online)' : ''}`;
    options.push(el('option', { text: label, attrs: { value: agent.id } }));
  }
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === current) ? current : '';
}

function renderActions() {
  const detail = state.detail;
  const ticket = detail && detail.ticket;
  const open = ticket && ticket.status === 'open';
  const mine = ticket && ticket.status === 'claimed' && state.agent && ticket.agent_id === state.agent.id;
  const active = ticket && (ticket.status === 'open' || ticket.status === 'claimed');
  const busy = state.busy;

  $('claim').disabled = busy || !open;
  $('claim').textContent = mine ? 'Claimed' : 'Claim';
  for (const id of ['transfer', 'transfer-to', 'resolve', 'return', 'return-confirm']) $(id).disabled = busy || !mine;
  $('return-note').disabled = !mine;
  if (!mine) show($('return-form'), false);
  $('reply-text').disabled = !mine;
  $('reply-send').disabled = busy || !mine;
  $('note-text').disabled = !ticket;
  $('note-add').disabled = busy || !ticket;

  let hint = 'Enter sends · Shift+Enter adds a line';
  if (!active) hint = 'This chat is closed.';
  else if (open) hint = 'Claim the chat to reply.';
  else if (!mine) hint = `${agentName(ticket.agent_id)} is handling this chat.`;
  $('reply-hint').textContent = hint;
  $('reply-text').placeholder = mine ? 'Write your reply…' : '';
}

/** `action` on the open ticket (or on ticket `on`), then reload the open ticket. */
async function act(action, { body, success, on } = {}) {
  const ticket = state.detail && state.detail.ticket;
  if (!ticket || state.busy) return;
  state.busy = true;
  renderActions();
  setMessage($('ticket-error'), '');
  setMessage($('ticket-info'), '');
  try {
    await api('POST', `/api/agent/tickets/${encodeURIComponent(on || ticket.id)}/${action}`, body);
    if (success) setMessage($('ticket-info'), success);
  } catch (error) {
    setMessage($('ticket-error'), explain(error));
  } finally {
    state.busy = false;
  }
  await openTicket(ticket.id, { focus: false, quiet: true });
  scheduleQueueRefresh(0);
  renderActions();
}

/** A random UUID v4 (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newClientId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The reply's client_id: the same while the same text to the same chat is resent, so the
 * server stores it once however often it is sent (a reply can be stored although its answer
 * was lost). */
function replyClientId(ticketId, text) {
  const pending = state.pendingReply;
  if (pending && pending.ticketId === ticketId && pending.text === text) return pending.clientId;
  state.pendingReply = { ticketId, text, clientId: newClientId() };
  return state.pendingReply.clientId;
}

/** Send a reply; resent (same client_id) after a network error or a server error. */
async function sendReply(ticketId, text) {
  const body = { text, client_id: replyClientId(ticketId, text) };
  const path = `/api/agent/tickets/${encodeURIComponent(ticketId)}/messages`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const turn = await api('POST', path, body);
      state.pendingReply = null;
      return turn;
    } catch (error) {
      const transient = error.status === 0 || error.status >= 500;
      if (!transient || attempt >= REPLY_RETRIES_MS.length) throw error;
      await new Promise((resolve) => setTimeout(resolve, REPLY_RETRIES_MS[attempt]));
    }
  }
}

async function onReply(event) {
  event.preventDefault();
  const box = $('reply-text');
  const text = box.value.trim();
  const ticket = state.detail && state.detail.ticket;
  if (!text || !ticket || state.busy) return;
  state.busy = true;
  renderActions();
  setMessage($('ticket-error'), '');
  try {
    const turn = await sendReply(ticket.id, text);
    box.value = '';
    addTurn(turn);
    scrollTranscript(true);
  } catch (error) {
    setMessage($('ticket-error'), `Not sent: ${explain(error)}`);
  } finally {
    state.busy = false;
    renderActions();
    box.focus();
  }
}

async function onNote(event) {
  event.preventDefault();
  const box = $('note-text');
  const text = box.value.trim();
  const ticket = state.detail && state.detail.ticket;
  if (!text || !ticket || state.busy) return;
  state.busy = true;
  renderActions();
  try {
    const note = await api('POST', `/api/agent/tickets/${encodeURIComponent(ticket.id)}/notes`, { text });
    box.value = '';
    state.detail.notes.push(note);
    $('note-list').replaceChildren(...state.detail.notes.map(renderNote));
  } catch (error) {
    setMessage($('ticket-error'), `Note not saved: ${explain(error)}`);
  } finally {
    state.busy = false;
    renderActions();
    box.focus();
  }
}

/* ---------- wiring ---------- */

function init() {
  followTranscript();
  $('login-form').addEventListener('submit', onLogin);
  $('logout').addEventListener('click', onLogout);
  $('reply-form').addEventListener('submit', onReply);
  $('note-form').addEventListener('submit', onNote);
  $('reply-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $('reply-form').requestSubmit();
    }
  });
  $('note-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $('note-form').requestSubmit();
    }
  });
  $('claim').addEventListener('click', () => act('claim', { success: 'You have this chat now. The customer was told you joined.' }));
  $('resolve').addEventListener('click', () => act('resolve', { success: 'Resolved. The customer is asked to rate the chat.' }));
  $('return').addEventListener('click', () => {
    show($('return-form'), true);
    $('return-note').focus();
  });
  $('return-cancel').addEventListener('click', () => {
    show($('return-form'), false);
    $('return').focus();
  });
  $('return-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const note = $('return-note').value.trim();
    await act('return', {
      body: note ? { note } : undefined,
      success: note ? 'Handed back with your note: the bot answers again.' : 'Handed back: the bot answers again.',
    });
    if (!$('ticket-error').textContent) {
      $('return-note').value = '';
      show($('return-form'), false);
    }
  });
  $('transfer').addEventListener('click', () => {
    const to = $('transfer-to').value || null;
    const name = to ? agentName(to) : null;
    act('transfer', {
      body: { agent_id: to },
      success: to ? `Transferred to ${name}.` : 'Put back in the queue.',
    });
  });
  for (const radio of document.querySelectorAll('input[name="scope"]')) {
    radio.addEventListener('change', () => {
      state.scope = radio.value;
      loadQueue();
    });
  }
  $('priority-filter').addEventListener('change', (event) => {
    state.priority = event.target.value;
    loadQueue();
  });
  // Arrow keys move between tickets in the queue.
  $('ticket-list').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const buttons = [...document.querySelectorAll('.ticket-item')];
    const index = buttons.indexOf(document.activeElement);
    if (index === -1) return;
    event.preventDefault();
    const next = buttons[index + (event.key === 'ArrowDown' ? 1 : -1)];
    if (next) next.focus();
  });

  if (loadSession()) {
    startConsole().catch(() => showLogin(''));
  } else {
    showLogin('');
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
