import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseInline, parseMessage, safeUrl, toNodes } from '../render.js';
import { fakeDocument, html } from './fake-dom.js';

const CITATIONS = [
  { n: 1, title: 'Reset your password', url: 'https://help.example/articles/reset-password' },
  { n: 2, title: 'Sneaky', url: 'javascript:alert(1)' },
];

const render = (text, citations = []) =>
  html(toNodes(fakeDocument, parseMessage(text, citations), (n, title) => `Source ${n}: ${title}`));

test('HTML in a message is text, never markup', () => {
  const evil = '<img src=x onerror=window.__xss=1> <script>alert(1)</script> & "quotes"';
  assert.deepEqual(parseInline(evil), [{ type: 'text', text: evil }]);
  assert.equal(
    render(evil),
    '<p>&lt;img src=x onerror=window.__xss=1&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;</p>',
  );
});

test('bold, with links and citations inside it', () => {
  assert.equal(render('Select **Forgot password?** now'), '<p>Select <strong>Forgot password?</strong> now</p>');
  assert.equal(render('**a [1] b**', CITATIONS).includes('<strong>a <sup class="cite"><a'), true);
  assert.equal(render('2 ** 3 and **'), '<p>2 ** 3 and **</p>');
});

test('lists: dashes, asterisks and numbers (keeping the first number)', () => {
  assert.equal(render('Steps:\n- one\n- **two**'), '<p>Steps:</p><ul><li>one</li><li><strong>two</strong></li></ul>');
  assert.equal(render('1. Open\n2. Click'), '<ol><li>Open</li><li>Click</li></ol>');
  assert.equal(render('3) Third\n4) Fourth'), '<ol start="3"><li>Third</li><li>Fourth</li></ol>');
  assert.equal(render('* a\n1. b'), '<ul><li>a</li></ul><ol><li>b</li></ol>');
});

test('paragraphs split on blank lines; single newlines become <br>', () => {
  assert.equal(render('a\nb\n\nc'), '<p>a<br></br>b</p><p>c</p>');
  assert.equal(render('a\r\n\r\nb'), '<p>a</p><p>b</p>');
});

test('only http(s) links are links; others keep their label as text', () => {
  assert.equal(
    render('[Help](https://help.example/a?b=1&c=2)'),
    '<p><a href="https://help.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">Help</a></p>',
  );
  assert.equal(render('[click](javascript:alert(1))'), '<p>[click](javascript:alert(1))</p>');
  assert.equal(render('[click](javascript:alert)'), '<p>click</p>');
  assert.equal(render('[x](data:text/html,hi)'), '<p>x</p>');
  assert.equal(render('[x](/relative)'), '<p>x</p>');
});

test('bare URLs are linked without trailing punctuation', () => {
  assert.equal(
    render('See https://help.example/returns.'),
    '<p>See <a href="https://help.example/returns" target="_blank" rel="noopener noreferrer">https://help.example/returns</a>.</p>',
  );
});

test('[n] links to citation n; unknown or unsafe citations stay text', () => {
  assert.equal(
    render('Valid for 30 minutes [1].', CITATIONS),
    '<p>Valid for 30 minutes <sup class="cite"><a href="https://help.example/articles/reset-password" ' +
      'target="_blank" rel="noopener noreferrer" aria-label="Source 1: Reset your password">1</a></sup>.</p>',
  );
  assert.equal(render('see [2] and [3]', CITATIONS), '<p>see [2] and [3]</p>');
  assert.equal(render('see [1]'), '<p>see [1]</p>');
});

test('safeUrl accepts absolute http(s) only', () => {
  assert.equal(safeUrl('https://a.example/x y'), 'https://a.example/x%20y');
  assert.equal(safeUrl('HTTP://A.example'), 'http://a.example/');
  for (const bad of ['javascript:alert(1)', ' javascript:x', 'vbscript:x', 'data:,x', '//evil.example', 'nope']) {
    assert.equal(safeUrl(bad), null, bad);
  }
});

test('relative citation URLs resolve against the supportbot server', () => {
  const base = 'https://bot.example:8443';
  assert.equal(safeUrl('/help/reset-password', base), 'https://bot.example:8443/help/reset-password');
  assert.equal(safeUrl('/help/reset-password'), null);
  assert.equal(safeUrl('javascript:alert(1)', base), null);
  const [paragraph] = parseMessage('See [1].', [{ n: 1, title: 'Reset', url: '/help/reset' }], base);
  const cite = paragraph.lines[0].find((node) => node.type === 'cite');
  assert.equal(cite.href, 'https://bot.example:8443/help/reset');
});
