/**
 * Import this first (then the modules under test with `await import(...)`): it lets node
 * resolve the server paths that the staff modules import, as the browser does.
 */

import { register } from 'node:module';

register('./render-alias.js', import.meta.url);
