/**
 * The live preview. Its HTML comes from POST /api/editor/render, sanitised on the server
 * (no scripts, no event attributes, no javascript: URLs): the only HTML the editor inserts.
 */

import { $ } from '../shared/dom.js';
import { explain } from './labels.js';
import { api } from './session.js';
import { state } from './state.js';

const RENDER_DELAY_MS = 300;

export function schedulePreview(delay = RENDER_DELAY_MS) {
  clearTimeout(state.renderTimer);
  $('preview-state').textContent = delay ? 'updating…' : '';
  state.renderTimer = setTimeout(renderPreview, delay);
}

async function renderPreview() {
  const seq = ++state.renderSeq;
  const markdown = $('f-body').value;
  try {
    const data = await api('POST', '/api/editor/render', { markdown });
    if (seq !== state.renderSeq) return;
    // Sanitised by the server (bot/helpcenter/sanitize.py); the only HTML this page inserts.
    $('preview').innerHTML = data.html;
    $('preview-state').textContent = '';
  } catch (error) {
    if (seq === state.renderSeq) $('preview-state').textContent = `not updated: ${explain(error)}`;
  }
}
