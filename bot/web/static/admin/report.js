/** The analytics report: headline numbers, charts, tables and the definitions under them. */

import { $, el } from '../shared/dom.js';
import { decimal, duration, percent } from '../shared/format.js';
import { barChart, hbarChart, lineChart } from './charts.js';
import { qualityKpis, renderQuality } from './quality.js';

// Why a question is a content gap, or how an answer failed (bot/reporting).
const REASONS = {
  refused: 'refused',
  low_confidence: 'low confidence',
  thumbs_down: 'thumbs down',
  escalated: 'handed to a person',
  repeat: 'asked again',
  rephrase: 'asked in other words',
  complaint: 'complained',
  person_after_answer: 'asked for a person after the answer',
};

/** A rate with one decimal ("12.5%"). */
const rate = (value) => percent(value, 1);

/** The reasons of a content gap, in words. */
export const reasonList = (reasons) => Object.keys(reasons).map((r) => REASONS[r] || r).join(', ');

/** The headline numbers as [label, value] pairs. */
export function kpiItems(overall) {
  return [
    ['Conversations', `${overall.conversations}`],
    ['Bot-resolved (with evidence)', rate(overall.bot_resolved_rate)],
    ['Escalation rate', rate(overall.escalation_rate)],
    ['First agent reply (median)', duration(overall.median_first_agent_reply_s)],
    ['Thumbs up', `${rate(overall.thumbs_up_ratio)} (${overall.thumbs_up}/${overall.thumbs_up + overall.thumbs_down})`],
    ['CSAT', overall.csat_avg === null ? '–' : `${decimal(overall.csat_avg)} / 5 (${overall.csat_count})`],
  ];
}

function kpis(overall) {
  $('kpis').replaceChildren(...[...kpiItems(overall), ...qualityKpis(overall)].map(([label, value]) => el(
    'div',
    { className: 'kpi' },
    el('div', { className: 'kpi-value', text: value }),
    el('div', { className: 'kpi-label', text: label }),
  )));
}

/** Fill table `id` with `rows` of cells; `texts`: how many leading cells are text (the rest are numbers). */
export function fillTable(id, rows, texts = 1) {
  const body = $(id).querySelector('tbody');
  body.replaceChildren(...rows.map((cells) => el(
    'tr',
    {},
    ...cells.map((cell, i) => el('td', { text: cell, className: i >= texts ? 'num' : '' })),
  )));
  if (!rows.length) {
    const td = el('td', { className: 'muted', text: 'Nothing yet' });
    td.colSpan = $(id).querySelectorAll('th').length;
    body.append(el('tr', {}, td));
  }
}

function chart(name, svg) {
  document.querySelector(`[data-chart="${name}"]`).replaceChildren(svg);
}

/** Draw the report of GET /api/analytics. */
export function render(data) {
  kpis(data.overall);
  const days = data.daily.map((d) => d.day.slice(5));
  chart('conversations', barChart('Conversations per day', days, [
    { name: 'bot-resolved', cls: 'series-1', values: data.daily.map((d) => d.bot_resolved) },
    { name: 'other', cls: 'series-3', values: data.daily.map((d) => d.conversations - d.bot_resolved) },
  ]));
  chart('rates', lineChart('Bot-resolved and escalation rate', days, [
    { name: 'bot-resolved', cls: 'series-1', values: data.daily.map((d) => d.bot_resolved_rate) },
    { name: 'escalated', cls: 'series-2', values: data.daily.map((d) => d.escalation_rate) },
  ]));
  chart('reasons', hbarChart('Escalations by reason',
    data.escalation_reasons.map((r) => ({ label: r.reason.replaceAll('_', ' '), value: r.count }))));
  const scores = ['1', '2', '3', '4', '5'];
  chart('csat', barChart('CSAT distribution', scores, [
    { name: 'responses', cls: 'series-4', values: scores.map((s) => data.csat_distribution[s] || 0) },
  ]));
  renderQuality(data);
  fillTable('top-questions', data.top_questions.map((q) => [q.text, `${q.count}`]));
  fillTable('top-articles', data.top_articles.map((a) => [a.title || a.article_id, `${a.count}`]));
  fillTable('content-gaps', data.content_gaps.map((q) => [q.text, reasonList(q.reasons), `${q.count}`]), 2);
  fillTable('failure-signals', Object.entries(data.failure_signals)
    .filter(([, n]) => n).map(([signal, n]) => [REASONS[signal] || signal, `${n}`]));
  fillTable('daily', [...data.daily].reverse().map((d) => [
    d.day, `${d.conversations}`, rate(d.bot_resolved_rate), rate(d.escalation_rate),
    `${d.thumbs_up}`, `${d.thumbs_down}`, decimal(d.csat_avg), duration(d.median_first_agent_reply_s),
  ]));
  const quiet = Math.round(data.definitions.resolution_window_s / 60);
  $('definitions').textContent = 'Bot-resolved needs evidence: the customer said it helped, '
    + `gave a thumbs-up or CSAT of 4 or 5, or wrote nothing more for ${quiet} min after a confident answer; `
    + 'and no thumbs-down, question asked again, complaint, request for a person or handoff. '
    + `Same topic when a customer comes back within 24 h: ${data.definitions.same_topic}.`;
}
