/**
 * The customer's timeline in a ticket: their other conversations on every channel (widget, API,
 * email), newest first, each with its channel, age, state and first message (as text).
 */

import { $, el, show } from '../shared/dom.js';
import { waited } from '../shared/format.js';

const CHANNELS = { widget: 'Chat', api: 'API', email: 'Email' };

/** The line that heads one past conversation: channel, age, state and size. */
export function timelineLabel(entry) {
  const channel = CHANNELS[entry.channel] || 'Other channel';
  const turns = Number(entry.turns) || 0;
  return `${channel}, ${waited(entry.created_at)} ago, ${String(entry.mode || '')}, ${turns} message${turns === 1 ? '' : 's'}`;
}

/** Fill the timeline section (hidden when the customer has no other conversation). */
export function renderTimeline(history) {
  const entries = Array.isArray(history) ? history : [];
  show($('timeline'), entries.length > 0);
  $('timeline-list').replaceChildren(
    ...entries.map((entry) =>
      el(
        'li',
        { className: `timeline-entry channel-${CHANNELS[entry.channel] ? entry.channel : 'other'}` },
        el('span', { className: 'timeline-label', text: timelineLabel(entry) }),
        el('q', { className: 'timeline-opening', text: entry.opening || 'No message from the customer.' }),
      ),
    ),
  );
}
