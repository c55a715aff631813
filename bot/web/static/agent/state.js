/** The agent console's state: who is signed in, the queue, the open ticket, the socket. */

import { FIRST_DELAY_MS } from './events.js';

export const state = {
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
  reconnectDelay: FIRST_DELAY_MS,
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
