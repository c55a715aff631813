import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clock, decimal, duration, percent, waited, when } from '../shared/format.js';

test('percent rounds to the digits asked and shows a dash for no number', () => {
  assert.equal(percent(0.5), '50%');
  assert.equal(percent(0.2667, 1), '26.7%');
  assert.equal(percent(1), '100%');
  for (const missing of [null, undefined, NaN, Infinity, '0.5']) assert.equal(percent(missing), '–');
});

test('decimal rounds and shows a dash for no value', () => {
  assert.equal(decimal(4.256), '4.26');
  assert.equal(decimal(4.25, 1), '4.3');
  assert.equal(decimal(null), '–');
});

test('duration picks seconds, minutes or hours', () => {
  assert.equal(duration(42.4), '42 s');
  assert.equal(duration(120), '2 min');
  assert.equal(duration(5400), '1.5 h');
  assert.equal(duration(undefined), '–');
});

test('waited counts from the timestamp to now, never below zero', () => {
  const now = Date.parse('2026-01-02T12:00:00Z');
  const ago = (seconds) => new Date(now - seconds * 1000).toISOString();
  assert.equal(waited(ago(42), now), '42 s');
  assert.equal(waited(ago(5 * 60 + 59), now), '5 min');
  assert.equal(waited(ago(3 * 3600 + 20 * 60), now), '3 h 20 min');
  assert.equal(waited(ago(4 * 86400), now), '4 d');
  assert.equal(waited(ago(-30), now), '0 s'); // a clock ahead of ours
});

test('clock and when are empty for what is not a timestamp', () => {
  assert.equal(clock('not a date'), '');
  assert.equal(when(''), '');
  assert.equal(when(null), '');
  assert.match(clock('2026-01-02T12:34:00Z'), /\d/);
  assert.match(when('2026-01-02T12:34:00Z'), /2026/);
});
