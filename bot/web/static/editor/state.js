/** The editor's state: who is signed in, the article list, the open article, pending work. */

export const state = {
  token: null,
  agent: null,
  articles: [],
  categories: new Set(),
  locales: new Set(),
  current: null, // the article as last loaded or saved (null for a new one)
  renderTimer: null,
  renderSeq: 0,
  searchTimer: null,
  listSeq: 0,
  indexWatch: 0,
  busy: false,
};
