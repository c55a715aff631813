// The agent console's list of an email's attachments: names as text, downloads only as files.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { html, install, mount } from './fake-dom.js';
import './server-paths.js';

const { state } = await import('../agent/state.js');
const { attachmentPath, renderAttachments, saveAttachment, sizeLabel } = await import('../agent/attachments.js');

const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>.html';

beforeEach(() => {
  install();
  mount('section#attachments', 'ul#attachment-list', 'p#ticket-error');
  state.token = 'tok';
});

test('kept attachments are download links, hostile names text, over-limit ones not links', () => {
  const saved = [];
  const files = [
    { id: 7, filename: HOSTILE, content_type: 'text/html"><x', size: 1500, kept: true },
    { id: 8, filename: 'big.zip', content_type: 'application/zip', size: 50_000_001, kept: false },
  ];
  renderAttachments('t/1?x', files, (ticketId, attachment) => saved.push([ticketId, attachment.id]));
  assert.equal(document.getElementById('attachments').hidden, false);
  const [first, second] = document.getElementById('attachment-list').querySelectorAll('li');
  const link = first.querySelector('a');
  assert.equal(link.textContent, HOSTILE);
  assert.equal(link.getAttribute('href'), '/api/agent/tickets/t%2F1%3Fx/attachments/7');
  assert.equal(link.getAttribute('download'), HOSTILE);
  assert.equal(first.querySelectorAll('img').length + first.querySelectorAll('script').length, 0);
  assert.ok(html(first).includes('&lt;script&gt;'));
  assert.equal(first.querySelector('.attachment-meta').textContent, ' (text/html"><x, 1.5 KB)');
  link.click();
  assert.deepEqual(saved, [['t/1?x', 7]]);
  assert.equal(second.querySelector('a'), null);
  assert.equal(second.className, 'attachment attachment-not-kept');
  assert.equal(second.querySelector('.chip-not-kept').textContent, 'Over the size limit: not kept');
  renderAttachments('t1', undefined);
  assert.equal(document.getElementById('attachments').hidden, true);
});

test('sizes read as people read them', () => {
  assert.equal(sizeLabel(1), '1 byte');
  assert.equal(sizeLabel(999), '999 bytes');
  assert.equal(sizeLabel(12_500), '12.5 KB');
  assert.equal(sizeLabel(3_100_000), '3.1 MB');
  assert.equal(sizeLabel('x'), '0 bytes');
  assert.equal(attachmentPath('a b', { id: 3 }), '/api/agent/tickets/a%20b/attachments/3');
});

test("a download is fetched with the agent's token and saved under its name", async () => {
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push([path, init.headers.Authorization]);
    return { ok: true, status: 200, blob: async () => new Blob(['%PDF']) };
  };
  const clicked = [];
  const realCreate = document.createElement.bind(document);
  document.createElement = (tag) => {
    const node = realCreate(tag);
    if (tag === 'a') node.addEventListener('click', () => clicked.push(node.getAttribute('download')));
    return node;
  };
  await saveAttachment('t1', { id: 7, filename: 'r\u00e9ceipt.pdf' });
  assert.deepEqual(calls, [['/api/agent/tickets/t1/attachments/7', 'Bearer tok']]);
  assert.deepEqual(clicked, ['r\u00e9ceipt.pdf']);
  assert.equal(document.body.querySelectorAll('a').length, 0); // the temporary link is gone

  globalThis.fetch = async () => ({ ok: false, status: 404, json: async () => ({ detail: 'not kept' }) });
  await saveAttachment('t1', { id: 8, filename: 'big.zip' });
  assert.equal(document.getElementById('ticket-error').textContent, 'Could not download the attachment: not kept');
});
