/** The editor's wording: statuses, index states, answer kinds, gap reasons and errors. */

import { when } from '../shared/format.js';

export const STATUS_LABELS = { draft: 'Draft', published: 'Published', unpublished: 'Unpublished', deleted: 'Deleted' };

const INDEX_LABELS = {
  pending: 'waiting to be indexed',
  indexing: 'indexing…',
  indexed: 'indexed: customers get it',
  failed: 'indexing failed',
};

export const KIND_LABELS = { answer: 'Answer', refusal: 'No answer (offers a person)', smalltalk: 'Small talk', fallback: 'Fallback' };

const REASON_LABELS = {
  low_confidence: 'Low confidence',
  refused: 'Refused',
  thumbs_down: 'Thumbs down',
  escalated: 'Handed to a person',
  repeat: 'Asked again',
  rephrase: 'Asked in other words',
  complaint: 'Complained',
  person_after_answer: 'Asked for a person after the answer',
};

export function explain(error) {
  if (error.code === 'rate_limited') return 'Too many requests. Wait a moment and try again.';
  if (error.status === 403) return error.message || 'Your account may not do this.';
  return error.message || 'Something went wrong.';
}

export function refusal(agent) {
  const who = agent.display_name || agent.name;
  return `${who} has the ${agent.role} role: the editor is for editor and admin accounts. ` +
    'Ask an admin to give you the editor role.';
}

/** An article's state as one line: status, versions, index state, unsaved changes, last save. */
export function stateLine(article) {
  const parts = [
    STATUS_LABELS[article.status] || article.status,
    `version ${article.current_version}`,
    article.published_version ? `published version ${article.published_version}` : 'never published',
  ];
  if (article.status === 'published' && article.index_state) {
    parts.push(`index: ${INDEX_LABELS[article.index_state] || article.index_state}`);
  }
  if (article.index_state === 'failed' && article.index_error) parts.push(article.index_error);
  if (article.has_unpublished_changes && article.published_version) parts.push('has unpublished changes');
  if (article.updated_by) parts.push(`last saved by ${article.updated_by} ${when(article.updated_at)}`);
  return parts.join(' · ');
}

/** A gap's reasons with their counts ("Refused 2"), leaving out those that did not occur. */
export function gapReasons(reasons) {
  return Object.entries(reasons || {})
    .filter(([, n]) => n)
    .map(([key, n]) => `${REASON_LABELS[key] || key} ${n}`);
}
