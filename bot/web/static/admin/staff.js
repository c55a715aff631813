/** Who takes chats: agents always, viewers never, admins when they opt in here. */

import { $, el } from '../shared/dom.js';
import { api } from './session.js';

function chatsCell(account) {
  if (account.role !== 'admin') return el('td', { text: account.role === 'agent' ? 'always' : 'never' });
  const box = el('input', {
    attrs: { type: 'checkbox', 'aria-label': `${account.display_name} takes chats` },
    on: { change: () => setTakesChats(account, box) },
  });
  box.checked = account.takes_chats;
  return el('td', {}, box);
}

function renderStaff(accounts) {
  $('staff').querySelector('tbody').replaceChildren(...accounts.map((account) => el(
    'tr',
    { dataset: { name: account.name } },
    el('td', { text: account.display_name }),
    el('td', { text: account.role }),
    chatsCell(account),
    el('td', { className: 'online', text: account.online ? 'yes' : 'no' }),
  )));
}

/** Load the staff accounts and draw the table. */
export async function loadStaff() {
  const response = await api('GET', '/api/agent/staff');
  renderStaff(await response.json());
}

async function setTakesChats(account, box) {
  box.disabled = true;
  try {
    await api('PUT', `/api/agent/staff/${encodeURIComponent(account.id)}/takes-chats`, { takes_chats: box.checked });
    $('status').textContent = `${account.display_name} ${box.checked ? 'now takes' : 'no longer takes'} chats`;
    await loadStaff();
  } catch (error) {
    box.checked = !box.checked;
    $('status').textContent = `Could not change ${account.display_name}: ${error.message}`;
  } finally {
    box.disabled = false;
  }
}
