import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { html, install, mount } from './fake-dom.js';

const { lineDiff, renderDiff } = await import('../editor/diff.js');
const { explain, gapReasons, refusal, stateLine } = await import('../editor/labels.js');
const { loadGaps } = await import('../editor/gaps.js');
const { state } = await import('../editor/state.js');
const { ApiError } = await import('../shared/api.js');

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

beforeEach(() => install());

test('lineDiff aligns common lines and marks removals and additions', () => {
  assert.deepEqual(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c'], 'theirs', 'yours'), ['--- theirs', '+++ yours', ' a', '-b', '+x', ' c']);
  assert.deepEqual(lineDiff([], ['new']), ['--- a', '+++ b', '+new']);
  assert.deepEqual(lineDiff(['same'], ['same']), ['--- a', '+++ b', ' same']);
  assert.deepEqual(lineDiff(['x', 'a'], ['a', 'y']), ['--- a', '+++ b', '-x', ' a', '+y']);
});

test('lineDiff of huge texts lists both sides without aligning them', () => {
  const a = Array.from({ length: 2001 }, (_, i) => `a${i}`);
  const b = Array.from({ length: 2001 }, (_, i) => `b${i}`);
  const out = lineDiff(a, b);
  assert.equal(out.length, 2 + 2001 * 2);
  assert.equal(out[2], '-a0');
  assert.equal(out[2 + 2001], '+b0');
});

test('a diff is drawn as text lines with a class per kind', () => {
  const node = document.createElement('pre');
  renderDiff(node, ['--- a', '+++ b', '@@ -1 +1 @@', ` ${HOSTILE}`, '-old', '+new']);
  assert.deepEqual(
    node.children.map((line) => line.className),
    ['diff-line diff-file', 'diff-line diff-file', 'diff-line diff-hunk', 'diff-line diff-same', 'diff-line diff-del', 'diff-line diff-add'],
  );
  assert.equal(node.children[3].textContent, ` ${HOSTILE}\n`);
  assert.equal(node.querySelectorAll('img').length, 0);
});

test("an article's state line says what customers get", () => {
  const article = { status: 'published', current_version: 3, published_version: 2, index_state: 'indexing', has_unpublished_changes: true };
  assert.equal(stateLine(article), 'Published · version 3 · published version 2 · index: indexing… · has unpublished changes');
  assert.equal(stateLine({ status: 'draft', current_version: 1, published_version: null }), 'Draft · version 1 · never published');
  const failed = { status: 'published', current_version: 2, published_version: 2, index_state: 'failed', index_error: 'disk full' };
  assert.equal(stateLine(failed), 'Published · version 2 · published version 2 · index: indexing failed · disk full');
  const saved = stateLine({ status: 'odd', current_version: 1, updated_by: 'eve', updated_at: '2026-01-02T12:00:00Z' });
  assert.match(saved, /^odd · version 1 · never published · last saved by eve .*2026/);
});

test('gap reasons count only what occurred, in words', () => {
  assert.deepEqual(gapReasons({ refused: 2, thumbs_down: 0, brand_new: 1 }), ['Refused 2', 'brand_new 1']);
  assert.deepEqual(gapReasons(undefined), []);
});

test("errors and refusals read as editors need them", () => {
  assert.equal(explain(new ApiError(429, 'rate_limited', 'slow down')), 'Too many requests. Wait a moment and try again.');
  assert.equal(explain(new ApiError(403, null, '')), 'HTTP 403');
  assert.equal(explain({ status: 403, message: '' }), 'Your account may not do this.');
  assert.equal(explain({ message: '' }), 'Something went wrong.');
  assert.equal(
    refusal({ name: 'ann', role: 'agent' }),
    'ann has the agent role: the editor is for editor and admin accounts. Ask an admin to give you the editor role.',
  );
});

test('content gaps from the API are drawn with their questions as text', async () => {
  mount('gaps-error', 'gaps-state', 'input#gaps-days', 'ol#gap-list', 'gaps-empty');
  document.getElementById('gaps-days').value = '7';
  state.articles = [{ id: 'refunds', title: HOSTILE }];
  state.token = 'tok';
  const calls = [];
  globalThis.fetch = async (path, init) => {
    calls.push({ path, auth: init.headers.Authorization });
    const group = {
      key: 'k1',
      label: HOSTILE,
      count: 1,
      reasons: { refused: 1 },
      examples: [HOSTILE, 'How do I <b>refund</b>?'],
      trend: [{ day: '2026-01-01', count: 0 }, { day: '2026-01-02', count: 1 }],
      articles_tried: [{ article_id: 'refunds', title: HOSTILE, count: 2 }],
      covered_by: null,
    };
    return new Response(JSON.stringify({ groups: [group] }), { status: 200 });
  };
  await loadGaps();
  assert.deepEqual(calls, [{ path: '/api/editor/gaps?days=7', auth: 'Bearer tok' }]);
  const gap = document.querySelector('.gap');
  assert.equal(gap.querySelector('.gap-label').textContent, HOSTILE);
  assert.equal(gap.querySelector('.count').textContent, '1 question');
  assert.equal(gap.querySelector('.gap-reasons').textContent, 'Refused 1');
  assert.deepEqual(gap.querySelector('.examples').querySelectorAll('li').map((li) => li.textContent), [HOSTILE, 'How do I <b>refund</b>?']);
  assert.equal(gap.querySelector('.trend').getAttribute('aria-label'), 'Per day: 2026-01-01: 0, 2026-01-02: 1');
  assert.equal(gap.querySelector('.tried').querySelector('button').textContent, `${HOSTILE} (2)`);
  assert.equal(document.querySelectorAll('img').length, 0);
  assert.equal(html(document.getElementById('gap-article-options').children[0]), `<option value="refunds">&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;</option>`);
  assert.equal(document.getElementById('gaps-empty').hidden, true);
  assert.equal(document.getElementById('gaps-state').textContent, '');
});

test('a failed gaps load says why under the list', async () => {
  mount('gaps-error', 'gaps-state', 'input#gaps-days', 'ol#gap-list', 'gaps-empty');
  globalThis.fetch = async () => new Response(JSON.stringify({ detail: 'No such window' }), { status: 422 });
  await loadGaps();
  const error = document.getElementById('gaps-error');
  assert.equal(error.textContent, 'No such window');
  assert.equal(error.hidden, false);
});
