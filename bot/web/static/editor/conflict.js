/** When someone saved a newer version: see the difference, load theirs (mine is kept), or overwrite. */

import { $, setMessage, show } from '../shared/dom.js';
import { handleSaveError, save, withBusy } from './article.js';
import { lineDiff, renderDiff } from './diff.js';
import { fillForm, showArticle } from './form.js';
import { explain } from './labels.js';
import { articlePath } from './links.js';
import { loadArticles } from './list.js';
import { schedulePreview } from './preview.js';
import { api } from './session.js';
import { state } from './state.js';
import { loadVersions } from './versions.js';

export function showConflict(error) {
  $('conflict-detail').textContent = error.message || '';
  show($('conflict'), true);
  show($('conflict-diff-view'), false);
  $('conflict-diff').focus();
}

async function latest() {
  return api('GET', articlePath(state.current.id));
}

/** My text: the form's, or the kept copy once their version was loaded into the form. */
function myText() {
  return $('kept-wrap').hidden ? $('f-body').value : $('kept-text').value;
}

export async function onConflictDiff() {
  try {
    const theirs = await latest();
    renderDiff($('conflict-diff-view'), lineDiff(theirs.body.split('\n'), myText().split('\n'), 'theirs', 'yours'));
    show($('conflict-diff-view'), true);
    $('conflict-diff-view').focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

export async function onConflictReload() {
  try {
    const theirs = await latest();
    $('kept-text').value = myText();
    show($('kept-wrap'), true);
    fillForm(theirs);
    showArticle(theirs);
    schedulePreview(0);
    loadVersions();
    setMessage($('edit-info'), `Loaded version ${theirs.current_version}. Your text is kept in the box below the warning.`);
    $('kept-text').focus();
  } catch (error) {
    setMessage($('edit-error'), explain(error));
  }
}

export async function onConflictOverwrite() {
  await withBusy($('conflict-overwrite'), async () => {
    try {
      const theirs = await latest();
      $('f-body').value = myText();
      show($('kept-wrap'), false);
      state.current = { ...state.current, current_version: theirs.current_version };
      const article = await save();
      schedulePreview(0);
      show($('conflict'), false);
      setMessage($('edit-info'), `Saved your text as version ${article.current_version}.`);
      loadVersions();
      loadArticles();
    } catch (error) {
      handleSaveError(error);
    }
  });
}
