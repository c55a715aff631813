import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { barChart, hbarChart, lineChart } from '../admin/charts.js';
import { fillTable, kpiItems, reasonList } from '../admin/report.js';
import { install } from './fake-dom.js';

const HOSTILE = '<script>window.__pwned=1</script>';

beforeEach(() => install());

const byClass = (svg, cls) => svg.querySelectorAll(`.${cls}`);

test('stacked bars add up per day, with labels and tips as text', () => {
  const svg = barChart('Per day', ['01-01', HOSTILE], [
    { name: 'bot', cls: 'series-1', values: [3, 1] },
    { name: HOSTILE, cls: 'series-3', values: [2, 0] },
  ]);
  assert.equal(svg.getAttribute('aria-label'), 'Per day');
  const bars = svg.querySelectorAll('rect').filter((r) => r.hasAttribute('data-value'));
  assert.deepEqual(bars.map((b) => [b.getAttribute('data-label'), b.getAttribute('data-value')]), [['01-01', '3'], ['01-01', '2'], [HOSTILE, '1']]);
  assert.equal(bars[1].querySelector('title').textContent, `01-01 · ${HOSTILE}: 2`);
  assert.ok(svg.querySelectorAll('text').some((t) => t.textContent === HOSTILE));
  assert.equal(svg.querySelectorAll('script').length, 0);
  // The top grid line is a multiple of 4 at least the largest total (5): 8.
  assert.deepEqual(byClass(svg, 'tick').slice(0, 5).map((t) => t.textContent), ['0', '2', '4', '6', '8']);
});

test('empty charts say so', () => {
  assert.equal(barChart('x', [], []).querySelector('.empty').textContent, 'No data');
  assert.equal(lineChart('x', [], []).querySelector('.empty').textContent, 'No data');
  assert.equal(hbarChart('x', []).querySelector('.empty').textContent, 'No escalations');
});

test('rate lines leave gaps for days without a value', () => {
  const svg = lineChart('Rates', ['a', 'b', 'c', 'd'], [{ name: 'bot', cls: 'series-1', values: [0.5, null, 0.25, 1] }]);
  assert.equal(svg.querySelectorAll('circle').length, 3);
  const path = svg.querySelector('path').getAttribute('d');
  assert.equal((path.match(/M/g) || []).length, 2); // a new segment after the gap
  assert.deepEqual(svg.querySelectorAll('circle').map((c) => c.querySelector('title').textContent), ['a · bot: 50%', 'c · bot: 25%', 'd · bot: 100%']);
});

test('horizontal bars are scaled to the largest and labelled as text', () => {
  const svg = hbarChart('Reasons', [{ label: HOSTILE, value: 4 }, { label: 'emotion', value: 2 }]);
  const [first, second] = svg.querySelectorAll('rect');
  assert.equal(Number(first.getAttribute('width')), 2 * Number(second.getAttribute('width')));
  assert.equal(first.getAttribute('data-label'), HOSTILE);
  assert.equal(svg.querySelectorAll('script').length, 0);
});

test('headline numbers: rates with one decimal, durations in their unit, no CSAT as a dash', () => {
  const overall = {
    conversations: 15,
    bot_resolved_rate: 4 / 15,
    escalation_rate: 0.2,
    median_first_agent_reply_s: 120,
    thumbs_up_ratio: null,
    thumbs_up: 0,
    thumbs_down: 0,
    csat_avg: null,
    csat_count: 0,
  };
  assert.deepEqual(kpiItems(overall).map(([, value]) => value), ['15', '26.7%', '20%', '2 min', '– (0/0)', '–']);
  assert.equal(kpiItems({ ...overall, csat_avg: 4.333, csat_count: 3 })[5][1], '4.33 / 5 (3)');
});

test('gap reasons read in words; unknown ones as they are', () => {
  assert.equal(reasonList({ refused: 1, person_after_answer: 2, new_one: 1 }), 'refused, asked for a person after the answer, new_one');
});

test('tables hold text cells, numbers marked, and say when there is nothing', () => {
  const table = document.createElement('table');
  table.id = 'top';
  table.append(document.createElement('th'), document.createElement('th'), document.createElement('tbody'));
  document.body.append(table);
  fillTable('top', [[HOSTILE, '3']]);
  const cells = table.querySelectorAll('td');
  assert.equal(cells[0].textContent, HOSTILE);
  assert.equal(cells[0].className, '');
  assert.equal(cells[1].className, 'num');
  assert.equal(table.querySelectorAll('script').length, 0);
  fillTable('top', []);
  const [empty] = table.querySelectorAll('td');
  assert.equal(empty.textContent, 'Nothing yet');
  assert.equal(empty.colSpan, 2);
});
