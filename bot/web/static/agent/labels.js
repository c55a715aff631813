/** The agent console's wording: reasons, roles, statuses, names and errors as agents read them. */

import { state } from './state.js';

const REASONS = {
  explicit_request: 'Asked for a person',
  low_confidence: 'Low answer confidence',
  weak_streak: 'Weak answers in a row',
  emotion: 'Upset customer',
  repeated_failure: 'Repeated failure',
  sensitive_topic: 'Sensitive topic',
  system_error: 'System error',
};

export const ROLES = { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'System' };

export const STATUSES = {
  open: 'Waiting',
  claimed: 'Claimed',
  resolved: 'Resolved',
  returned: 'Back with the bot',
  cancelled: 'Cancelled by the customer',
};

export function reasonLabel(reason) {
  return REASONS[reason] || String(reason).replace(/_/g, ' ');
}

export function agentName(id) {
  if (!id) return '';
  if (state.agent && id === state.agent.id) return 'you';
  const agent = state.agents.get(id);
  return agent ? agent.display_name || agent.name : 'another agent';
}

export function explain(error) {
  if (error.code === 'already_claimed') return 'Another agent took this chat.';
  if (error.code === 'rate_limited') return 'Too many requests. Wait a moment and try again.';
  if (error.code === 'invalid_transition') return `This chat can no longer do that: ${error.message}`;
  return error.message || 'Something went wrong.';
}
