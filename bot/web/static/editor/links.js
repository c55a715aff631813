/** The editor API's article URLs, and links to articles (relative ones resolved against this page). */

import { link as anyLink } from '../shared/dom.js';
import { api } from './session.js';

/** A link for http(s) URLs, relative ones resolved against this page. */
export const link = (url, label) => anyLink(url, label, window.location.origin);

export const articlePath = (id) => `/api/editor/articles/${encodeURIComponent(id)}`;
