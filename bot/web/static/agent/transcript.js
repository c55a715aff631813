/**
 * The transcript of the open chat: turns as the customer saw them, typing, notes.
 *
 * Safety rule: text from the server (customer, bot and agent messages, notes, summaries,
 * context) goes into the page only with textContent or createTextNode, through el()
 * (shared/dom.js), or, for messages, through the chat widget's renderer; never innerHTML.
 */

import { $, el, link } from '../shared/dom.js';
import { clock, percent } from '../shared/format.js';
import { parseMessage, toNodes } from '/agent/render.js';
import { ROLES, agentName } from './labels.js';
import { state } from './state.js';

export function renderTurn(turn) {
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

export function addTurn(turn) {
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

export function showTyping(on) {
  const list = $('transcript');
  const existing = list.querySelector('.typing');
  if (on && !existing) {
    list.append(el('li', { className: 'typing', text: 'The bot is writing…', attrs: { 'aria-hidden': 'true' } }));
  } else if (!on && existing) {
    existing.remove();
  }
}

export function scrollTranscript(force) {
  const list = $('transcript');
  if (force) {
    list.scrollTop = list.scrollHeight;
    state.stickToBottom = true;
  }
}

/** Keep the newest message in view when the transcript is resized, if it was in view. */
export function followTranscript() {
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

export function renderNote(note) {
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
