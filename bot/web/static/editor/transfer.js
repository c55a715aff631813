/** Import articles from a file, export them as ZIP or JSONL. */

import { $, el } from '../shared/dom.js';
import { save, withBusy } from './article.js';
import { explain } from './labels.js';
import { loadArticles } from './list.js';
import { request } from './session.js';

export async function onImport(event) {
  event.preventDefault();
  const file = $('import-file').files[0];
  const result = $('import-result');
  if (!file) {
    result.replaceChildren(el('p', { className: 'form-error', text: 'Choose a file to import.' }));
    $('import-file').focus();
    return;
  }
  await withBusy($('import-submit'), async () => {
    const form = new FormData();
    form.append('file', file);
    form.append('publish', $('import-publish').checked ? 'true' : 'false');
    result.replaceChildren(el('p', { text: 'Importing…' }));
    try {
      const response = await request('POST', '/api/editor/import', { form });
      const data = await response.json();
      const problems = data.problems || [];
      result.replaceChildren(
        el('p', { text: `Imported ${(data.imported || []).length} new, updated ${(data.updated || []).length}.` }),
        problems.length
          ? el('ul', { className: 'problems', attrs: { 'aria-label': 'Files that were not imported' } },
            ...problems.map((p) => el('li', { text: `${p.file}: ${p.reason}` })))
          : null,
      );
      $('import-file').value = '';
      await loadArticles();
    } catch (error) {
      result.replaceChildren(el('p', { className: 'form-error', text: explain(error) }));
    }
  });
}

export async function onExport(event) {
  event.preventDefault();
  const anchor = event.currentTarget;
  try {
    const response = await request('GET', anchor.getAttribute('href'));
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename="?([^";]+)"?/.exec(disposition);
    const name = match ? match[1] : anchor.id === 'export-zip' ? 'articles.zip' : 'articles.jsonl';
    const url = URL.createObjectURL(blob);
    const save = el('a', { attrs: { href: url, download: name } });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    $('import-result').replaceChildren(el('p', { className: 'form-error', text: explain(error) }));
  }
}
