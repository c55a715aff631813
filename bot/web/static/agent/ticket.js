/** The open ticket: load it, draw its header and panels, and its actions (claim, transfer, merge...). */

import { $, el, setMessage, show } from '../shared/dom.js';
import { waited } from '../shared/format.js';
import { renderAttachments } from './attachments.js';
import { renderContext, renderCustomer, renderReplies, saidInChat, suppliedBy } from './customer.js';
import { STATUSES, agentName, explain } from './labels.js';
import { scheduleQueueRefresh, watch } from './live.js';
import { loadAgents, renderQueue } from './queue.js';
import { api } from './session.js';
import { state } from './state.js';
import { renderTimeline } from './timeline.js';
import { renderNote, renderTurn, scrollTranscript, showTyping } from './transcript.js';

export async function openTicket(id, { focus = true, quiet = false } = {}) {
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
  renderTimeline(state.detail.history);
  renderAttachments(ticket.id, state.detail.attachments);
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

/** Conversations an agent merged into this ticket: summary, then the transcript. One the agent
 * opened stays open when the ticket is drawn again (a new message, a refresh). */
function renderLinked(linked) {
  show($('linked'), linked.length > 0);
  const opened = new Set(
    [...$('linked-list').querySelectorAll('details')].filter((d) => d.open).map((d) => d.dataset.conversation),
  );
  $('linked-list').replaceChildren(
    ...linked.map((conversation) =>
      el(
        'details',
        {
          className: 'linked-conversation',
          dataset: { conversation: String(conversation.conversation_id) },
          attrs: opened.has(String(conversation.conversation_id)) ? { open: '' } : {},
        },
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

export function renderTransferOptions() {
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

export function renderActions() {
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
export async function act(action, { body, success, on } = {}) {
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
