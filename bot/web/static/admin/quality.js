/**
 * The service-level charts of the dashboard (issue 21): NPS, first-contact resolution and
 * bot-resolved rate, CSAT over time, and the median first response per channel. The shaping
 * functions are pure (tested with node); `renderQuality` draws them with charts.js.
 */

import { decimal, duration } from '../shared/format.js';
import { hbarChart, lineChart } from './charts.js';

const value = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Day labels ("MM-DD") and one series per figure of the daily rows (null where no data). */
export function dailySeries(daily, keys) {
  return {
    labels: daily.map((d) => d.day.slice(5)),
    values: Object.fromEntries(keys.map((key) => [key, daily.map((d) => value(d[key]))])),
  };
}

/** Median first response per channel, slowest first: [{label, value}] (channels without one are left out). */
export function firstResponseRows(byChannel) {
  return Object.entries(byChannel || {})
    .map(([channel, figures]) => ({ label: channel, value: value(figures.first_response_s_p50) }))
    .filter((row) => row.value !== null)
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
}

/** NPS as a signed whole number ("+40", "-12", "0"). */
export const npsText = (v) => (value(v) === null ? '–' : `${v > 0 ? '+' : ''}${Math.round(v)}`);

/** The headline service levels as [label, value] pairs. */
export function qualityKpis(overall) {
  const nps = overall.nps_answers ? `${npsText(overall.nps)} (${overall.nps_answers})` : '–';
  const fcr = value(overall.fcr) === null ? '–' : `${decimal(overall.fcr * 100, 1)}%`;
  return [
    ['NPS', nps],
    ['First-contact resolution', fcr],
    ['First response (median)', duration(overall.first_response_s_p50)],
  ];
}

/** Every service-level chart: {name, svg arguments} in the order of the page. */
export function qualityCharts(data) {
  const { labels, values } = dailySeries(data.daily, ['nps', 'fcr', 'bot_resolved_rate', 'csat_avg']);
  return [
    { name: 'nps', kind: 'line', label: 'NPS per day', labels,
      series: [{ name: 'NPS', cls: 'series-1', values: values.nps }],
      options: { min: -100, max: 100, format: npsText } },
    { name: 'fcr', kind: 'line', label: 'First-contact resolution and bot-resolved rate', labels,
      series: [
        { name: 'first-contact resolved', cls: 'series-2', values: values.fcr },
        { name: 'bot-resolved', cls: 'series-1', values: values.bot_resolved_rate },
      ] },
    { name: 'csat-trend', kind: 'line', label: 'CSAT per day (1-5)', labels,
      series: [{ name: 'CSAT', cls: 'series-4', values: values.csat_avg }],
      options: { min: 1, max: 5, format: (v) => decimal(v, 1) } },
    { name: 'first-response', kind: 'hbar', label: 'First response (median) per channel',
      rows: firstResponseRows(data.by_channel), format: duration, none: 'No replies yet' },
  ];
}

/** Draw the service-level charts into their `[data-chart]` slots. */
export function renderQuality(data) {
  for (const chart of qualityCharts(data)) {
    const svg = chart.kind === 'hbar'
      ? hbarChart(chart.label, chart.rows, chart.format, chart.none)
      : lineChart(chart.label, chart.labels, chart.series, chart.options);
    document.querySelector(`[data-chart="${chart.name}"]`)?.replaceChildren(svg);
  }
}
