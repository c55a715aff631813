/** An article's versions: list them, diff one with the current version, restore one as a draft. */

import { $, el, setMessage, show } from '../shared/dom.js';
import { when } from '../shared/format.js';
import { handleSaveError } from './article.js';
import { renderDiff } from './diff.js';
import { confirmDiscard, fillForm, showArticle } from './form.js';
import { explain } from './labels.js';
import { articlePath } from './links.js';
import { loadArticles } from './list.js';
import { schedulePreview } from './preview.js';
import { api } from './session.js';
import { state } from './state.js';

export async function loadVersions() {
  const article = state.current;
  const list = $('version-list');
  if (!article) {
    list.replaceChildren();
    return;
  }
  try {
    const data = await api('GET', `${articlePath(article.id)}/versions`);
    if (!state.current || state.current.id !== article.id) return;
    const versions = Array.isArray(data) ? data : data.versions || [];
    const newest = versions.reduce((max, v) => Math.max(max, v.version), 0);
    list.replaceChildren(
      ...[...versions].sort((x, y) => y.version - x.version).map((v) => {
        const labels = [];
        if (v.version === state.current.published_version) labels.push('published');
        if (v.version === newest) labels.push('current');
        return el('li', { className: 'version' },
          el('span', { className: 'version-name', text: `Version ${v.version}` }),
          labels.length ? el('span', { className: 'badge', text: labels.join(', ') }) : null,
          el('span', { className: 'version-meta', text: [v.author, when(v.created_at), v.note].filter(Boolean).join(' · ') }),
          v.version === newest ? null : el('span', { className: 'version-actions' },
            el('button', {
              className: 'btn btn-small', text: 'Diff with current',
              attrs: { type: 'button', 'aria-label': `Differences between version ${v.version} and the current version` },
              on: { click: () => showVersionDiff(v.version, newest) },
            }),
            el('button', {
              className: 'btn btn-small', text: 'Restore',
              attrs: { type: 'button', 'aria-label': `Restore version ${v.version} as a new draft` },
              on: { click: () => restore(v.version) },
            })),
        );
      }),
    );
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function showVersionDiff(from, to) {
  try {
    const data = await api('GET', `${articlePath(state.current.id)}/diff?from=${from}&to=${to}`);
    const text = typeof data === 'string' ? data : data.diff || '';
    const view = $('version-diff');
    renderDiff(view, text ? text.replace(/\n$/, '').split('\n') : ['(no differences)']);
    view.setAttribute('aria-label', `Differences between version ${from} and version ${to}`);
    show(view, true);
    view.focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

async function restore(version) {
  if (!confirmDiscard()) return;
  try {
    const article = await api('POST', `${articlePath(state.current.id)}/restore`, {
      version,
      base_version: state.current.current_version,
    });
    fillForm(article);
    showArticle(article);
    schedulePreview(0);
    setMessage($('edit-info'), `Version ${version} restored as draft version ${article.current_version}; publish it to show it to customers.`);
    await Promise.all([loadVersions(), loadArticles()]);
  } catch (error) {
    handleSaveError(error);
  }
}
