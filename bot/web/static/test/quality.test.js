import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { lineChart } from '../admin/charts.js';
import { dailySeries, firstResponseRows, npsText, qualityCharts, qualityKpis } from '../admin/quality.js';
import { install } from './fake-dom.js';

beforeEach(() => install());

const DAILY = [
  { day: '2026-12-01', nps: 40, fcr: 0.4, bot_resolved_rate: 0.5, csat_avg: 4.5 },
  { day: '2026-12-02', nps: null, fcr: null, bot_resolved_rate: 0, csat_avg: null },
  { day: '2026-12-03', nps: -100, fcr: 1, bot_resolved_rate: 1, csat_avg: 2 },
];
const BY_CHANNEL = {
  widget: { first_response_s_p50: 20 },
  email: { first_response_s_p50: 120 },
  api: { first_response_s_p50: null },
  '<b>sms</b>': { first_response_s_p50: 20 },
};

test('daily figures become one series per key, with gaps where a day has none', () => {
  assert.deepEqual(dailySeries(DAILY, ['nps', 'fcr']), {
    labels: ['12-01', '12-02', '12-03'],
    values: { nps: [40, null, -100], fcr: [0.4, null, 1] },
  });
  assert.deepEqual(dailySeries([{ day: '2026-12-01' }], ['csat_avg']).values.csat_avg, [null]);
});

test('first response per channel: slowest first, channels without replies left out', () => {
  assert.deepEqual(firstResponseRows(BY_CHANNEL), [
    { label: 'email', value: 120 },
    { label: '<b>sms</b>', value: 20 },
    { label: 'widget', value: 20 },
  ]);
  assert.deepEqual(firstResponseRows(undefined), []);
});

test('NPS reads signed; the headline shows NPS, FCR and the first response', () => {
  assert.deepEqual([npsText(40), npsText(-12), npsText(0), npsText(null)], ['+40', '-12', '0', '–']);
  const overall = { nps: 40, nps_answers: 5, fcr: 0.4, first_response_s_p50: 25 };
  assert.deepEqual(qualityKpis(overall), [
    ['NPS', '+40 (5)'],
    ['First-contact resolution', '40%'],
    ['First response (median)', '25 s'],
  ]);
  assert.deepEqual(qualityKpis({ nps: null, nps_answers: 0, fcr: null, first_response_s_p50: null }).map(([, v]) => v), ['–', '–', '–']);
});

test('the charts: NPS on -100..100, FCR with bot-resolved, CSAT on 1..5, first response per channel', () => {
  const charts = qualityCharts({ daily: DAILY, by_channel: BY_CHANNEL });
  assert.deepEqual(charts.map((c) => c.name), ['nps', 'fcr', 'csat-trend', 'first-response']);
  const [nps, fcr, csat, first] = charts;
  assert.deepEqual([nps.options.min, nps.options.max], [-100, 100]);
  assert.deepEqual(nps.series[0].values, [40, null, -100]);
  assert.deepEqual(fcr.series.map((s) => s.values), [[0.4, null, 1], [0.5, 0, 1]]);
  assert.deepEqual([csat.options.min, csat.options.max, csat.series[0].values], [1, 5, [4.5, null, 2]]);
  assert.equal(first.rows[0].label, 'email');
  assert.equal(first.format(120), '2 min');
});

test('an NPS line is placed on its own scale and its tips read as NPS', () => {
  const chart = qualityCharts({ daily: DAILY, by_channel: {} })[0];
  const svg = lineChart(chart.label, chart.labels, chart.series, chart.options);
  const [top, bottom] = svg.querySelectorAll('circle').map((c) => Number(c.getAttribute('cy')));
  assert.ok(top < bottom, '+40 sits above -100');
  assert.deepEqual(svg.querySelectorAll('circle').map((c) => c.querySelector('title').textContent), ['12-01 · NPS: +40', '12-03 · NPS: -100']);
  assert.deepEqual(svg.querySelectorAll('.tick').slice(0, 5).map((t) => t.textContent), ['-100', '-50', '0', '+50', '+100']);
});
