/** The Articles / Content gaps / Stale tabs (arrow keys, Home and End move between them). */

import { $, show } from '../shared/dom.js';
import { loadGaps } from './gaps.js';
import { loadStale } from './stale.js';

export const TABS = ['articles', 'gaps', 'stale'];

export function selectTab(name, { focus = false } = {}) {
  for (const other of TABS) {
    const tab = $(`tab-${other}`);
    const selected = other === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    show($(`panel-${other}`), selected);
  }
  if (focus) $(`tab-${name}`).focus();
  if (name === 'gaps') loadGaps();
  if (name === 'stale') loadStale();
}

export function onTabKey(event) {
  const index = TABS.indexOf(event.target.id.replace('tab-', ''));
  const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  selectTab(TABS[(moves[event.key] + TABS.length) % TABS.length], { focus: true });
}
