/** The ticket queue: load it, draw it (with unread badges and waiting times), who takes chats. */

import { $, el, setMessage, show } from '../shared/dom.js';
import { waited } from '../shared/format.js';
import { STATUSES, agentName, explain, reasonLabel } from './labels.js';
import { watchRelevant } from './live.js';
import { api } from './session.js';
import { state } from './state.js';
import { openTicket, renderTransferOptions } from './ticket.js';

export async function loadAgents() {
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

export async function loadQueue() {
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

export function renderQueue() {
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

export function tickClock() {
  for (const node of document.querySelectorAll('.ticket-wait[data-since]')) {
    node.textContent = waited(node.dataset.since);
  }
}
