/**
 * The attachments of a ticket's email (issue 20): a kept one is a download link, fetched with
 * the agent's token and saved as a file, never displayed; one over the size limit is listed as
 * not kept. Names and types are the sender's, shown as text only.
 */

import { $, el, setMessage, show } from '../shared/dom.js';
import { explain } from './labels.js';
import { request } from './session.js';

/** The download path of an attachment of the ticket. */
export function attachmentPath(ticketId, attachment) {
  return `/api/agent/tickets/${encodeURIComponent(ticketId)}/attachments/${encodeURIComponent(attachment.id)}`;
}

/** A size in bytes as people read it: "820 bytes", "12.5 KB", "3.1 MB". */
export function sizeLabel(bytes) {
  const n = Number(bytes) || 0;
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Fill the attachments section (hidden when the email had none); `save` downloads one. */
export function renderAttachments(ticketId, attachments, save = saveAttachment) {
  const entries = Array.isArray(attachments) ? attachments : [];
  show($('attachments'), entries.length > 0);
  $('attachment-list').replaceChildren(
    ...entries.map((attachment) => {
      const name = String(attachment.filename || '(unnamed)');
      const meta = `${String(attachment.content_type || 'unknown type')}, ${sizeLabel(attachment.size)}`;
      const item = attachment.kept
        ? el('a', {
            className: 'attachment-link',
            text: name,
            attrs: { href: attachmentPath(ticketId, attachment), download: name },
            on: {
              click: (event) => {
                event.preventDefault();
                save(ticketId, attachment);
              },
            },
          })
        : el('span', { className: 'attachment-name', text: name });
      return el(
        'li',
        { className: `attachment ${attachment.kept ? 'attachment-kept' : 'attachment-not-kept'}` },
        item,
        el('span', { className: 'attachment-meta', text: ` (${meta})` }),
        !attachment.kept &&
          el('span', { className: 'chip chip-not-kept', text: 'Over the size limit: not kept' }),
      );
    }),
  );
}

/** Fetch the attachment with the session's token and hand it to the browser as a file. */
export async function saveAttachment(ticketId, attachment) {
  let blob;
  try {
    blob = await (await request('GET', attachmentPath(ticketId, attachment))).blob();
  } catch (error) {
    setMessage($('ticket-error'), `Could not download the attachment: ${explain(error)}`);
    return;
  }
  const url = URL.createObjectURL(blob);
  const link = el('a', { attrs: { href: url, download: String(attachment.filename || 'attachment') } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
