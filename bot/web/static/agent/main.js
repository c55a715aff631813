/**
 * supportbot agent console: plain ES modules, no build step. This entry wires the page's
 * controls to the modules beside it.
 */

import { $, show } from '../shared/dom.js';
import { agentName } from './labels.js';
import { loadQueue } from './queue.js';
import { onNote, onReply } from './reply.js';
import { loadSession, onLogin, onLogout, showLogin, startConsole } from './session.js';
import { state } from './state.js';
import { act } from './ticket.js';
import { followTranscript } from './transcript.js';

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
