/**
 * The dashboard's charts as SVG (stacked bars, lines, horizontal bars). Labels go in as
 * textContent, never markup.
 */

import { percent } from '../shared/format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

function shape(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child);
  return node;
}

function text(x, y, content, attrs = {}) {
  const node = shape('text', { x, y, ...attrs });
  node.textContent = content;
  return node;
}

function tip(content) {
  const node = shape('title');
  node.textContent = content;
  return node;
}

const W = 560;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 42 };

function frame(label) {
  return shape('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, class: 'svg-chart',
    preserveAspectRatio: 'xMidYMid meet',
  });
}

function axes(svg, yMax, format, yMin = 0) {
  const plotH = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i += 1) {
    const value = yMin + ((yMax - yMin) * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    svg.append(shape('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'grid' }));
    svg.append(text(PAD.left - 6, y + 4, format(value), { class: 'tick', 'text-anchor': 'end' }));
  }
}

function xLabels(svg, labels, slot) {
  const every = Math.max(1, Math.ceil(labels.length / 10));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const x = PAD.left + slot * i + slot / 2;
    svg.append(text(x, H - PAD.bottom + 16, label, { class: 'tick', 'text-anchor': 'middle' }));
  });
}

function empty(svg, message) {
  svg.append(text(W / 2, H / 2, message, { class: 'empty', 'text-anchor': 'middle' }));
  return svg;
}

// Stacked vertical bars: series = [{name, cls, values}]
export function barChart(label, labels, series, format = (v) => `${Math.round(v)}`) {
  const svg = frame(label);
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  // Counts: a multiple of 4 so the five grid lines fall on whole numbers.
  const yMax = Math.max(4, Math.ceil(Math.max(0, ...totals) / 4) * 4);
  if (!labels.length) return empty(svg, 'No data');
  axes(svg, yMax, format);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / labels.length;
  const width = Math.max(2, slot * 0.7);
  labels.forEach((name, i) => {
    let base = 0;
    for (const s of series) {
      const value = s.values[i] || 0;
      if (value > 0) {
        const h = (plotH * value) / yMax;
        const y = PAD.top + plotH - (plotH * (base + value)) / yMax;
        svg.append(shape('rect', {
          x: PAD.left + slot * i + (slot - width) / 2, y, width, height: h,
          class: `bar ${s.cls}`, 'data-label': name, 'data-value': value,
        }, [tip(`${name} · ${s.name}: ${format(value)}`)]));
      }
      base += value;
    }
  });
  xLabels(svg, labels, slot);
  legend(svg, series);
  return svg;
}

// Lines of rates in [0, 1] (or of values in [min, max], shown by `format`); null values leave gaps.
export function lineChart(label, labels, series, { min = 0, max = 1, format = percent } = {}) {
  const svg = frame(label);
  if (!labels.length) return empty(svg, 'No data');
  axes(svg, max, format, min);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / labels.length;
  for (const s of series) {
    let path = '';
    s.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      const x = PAD.left + slot * i + slot / 2;
      const y = PAD.top + plotH - (plotH * (value - min)) / (max - min);
      path += `${path && s.values[i - 1] !== null && s.values[i - 1] !== undefined ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)} `;
      svg.append(shape('circle', { cx: x, cy: y, r: 3, class: `dot ${s.cls}` },
        [tip(`${labels[i]} · ${s.name}: ${format(value)}`)]));
    });
    if (path) svg.append(shape('path', { d: path.trim(), class: `line ${s.cls}` }));
  }
  xLabels(svg, labels, slot);
  legend(svg, series);
  return svg;
}

// Horizontal bars: rows = [{label, value}]
export function hbarChart(label, rows, format = (v) => `${v}`, none = 'No escalations') {
  const svg = frame(label);
  if (!rows.length) return empty(svg, none);
  const left = 150;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const rowH = Math.min(32, (H - 20) / rows.length);
  rows.forEach((row, i) => {
    const y = 10 + i * rowH;
    const width = ((W - left - 60) * row.value) / max;
    svg.append(text(left - 8, y + rowH / 2 + 4, row.label, { class: 'tick', 'text-anchor': 'end' }));
    svg.append(shape('rect', {
      x: left, y: y + 3, width: Math.max(1, width), height: rowH - 6, class: 'bar series-2',
      'data-label': row.label, 'data-value': row.value,
    }, [tip(`${row.label}: ${format(row.value)}`)]));
    svg.append(text(left + width + 6, y + rowH / 2 + 4, format(row.value), { class: 'tick' }));
  });
  return svg;
}

function legend(svg, series) {
  if (series.length < 2) return;
  let x = PAD.left;
  for (const s of series) {
    svg.append(shape('rect', { x, y: H - 14, width: 10, height: 10, class: `bar ${s.cls}` }));
    svg.append(text(x + 14, H - 5, s.name, { class: 'tick' }));
    x += 24 + s.name.length * 7;
  }
}
