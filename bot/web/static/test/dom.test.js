import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { el, link, safeUrl, setMessage } from '../shared/dom.js';
import { html, install } from './fake-dom.js';

beforeEach(() => install());

test('el puts text and attribute values in as text, never as markup', () => {
  const node = el(
    'p',
    { className: 'x', attrs: { title: '"><img src=x onerror=alert(1)>', hidden: false, lang: null } },
    '<script>alert(1)</script>',
    el('b', { text: '<i>bold</i>' }),
  );
  assert.equal(
    html(node),
    '<p class="x" title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&lt;script&gt;alert(1)&lt;/script&gt;<b>&lt;i&gt;bold&lt;/i&gt;</b></p>',
  );
});

test('el skips missing children and wires dataset and listeners', () => {
  let clicks = 0;
  const node = el('button', { dataset: { ticketId: 't1' }, on: { click: () => (clicks += 1) } }, null, false, undefined);
  node.click();
  assert.equal(clicks, 1);
  assert.equal(node.getAttribute('data-ticket-id'), 't1');
  assert.equal(node.childNodes.length, 0);
});

test('safeUrl lets only http(s) through', () => {
  assert.equal(safeUrl('https://example.com/a?b=1'), 'https://example.com/a?b=1');
  for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,<b>', 'vbscript:x', '/relative', '', null, 42]) {
    assert.equal(safeUrl(bad), null, String(bad));
  }
  assert.equal(safeUrl('/help/a', 'https://support.example'), 'https://support.example/help/a');
  assert.equal(safeUrl('javascript:alert(1)', 'https://support.example'), null);
});

test('link makes an anchor for safe URLs and plain text otherwise', () => {
  assert.equal(
    html(link('https://example.com', 'Docs')),
    '<a href="https://example.com/" target="_blank" rel="noopener noreferrer nofollow">Docs</a>',
  );
  assert.equal(html(link('javascript:alert(1)', '<b>x</b>')), '<span>&lt;b&gt;x&lt;/b&gt;</span>');
  assert.equal(html(link('javascript:alert(1)')), '<span>javascript:alert(1)</span>');
});

test('setMessage shows text and hides an empty message', () => {
  const node = el('p');
  setMessage(node, 'Saved');
  assert.equal(node.textContent, 'Saved');
  assert.equal(node.hidden, false);
  setMessage(node, '');
  assert.equal(node.hidden, true);
});
