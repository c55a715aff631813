/**
 * Small key-value persistence with an expiry. Uses the given Web Storage (localStorage) when it
 * works and falls back to memory when it throws: Safari private mode, sandboxed iframes, blocked
 * third-party storage, a full quota.
 */

/** A store; `openStorage` is a function because merely reading window.localStorage may throw. */
export function createStore(openStorage, { ttlMs, now = Date.now, prefix = 'supportbot:' }) {
  const memory = new Map();
  let storage = null;
  try {
    storage = openStorage();
    storage.setItem(`${prefix}probe`, '1');
    storage.removeItem(`${prefix}probe`);
  } catch {
    storage = null;
  }

  function read(key) {
    if (memory.has(key)) return memory.get(key);
    try {
      return storage ? storage.getItem(prefix + key) : null;
    } catch {
      return null;
    }
  }

  function remove(key) {
    memory.delete(key);
    try {
      storage?.removeItem(prefix + key);
    } catch {
      // Storage went away; memory is already clear.
    }
  }

  return {
    /** True when values survive a reload. */
    get persistent() {
      return storage !== null;
    },

    /** The value, or null when missing, expired or unreadable. */
    get(key) {
      const raw = read(key);
      if (raw === null || raw === undefined) return null;
      try {
        const { value, expires } = JSON.parse(raw);
        if (typeof expires === 'number' && expires > now()) return value;
      } catch {
        // Corrupt entry: treat as missing.
      }
      remove(key);
      return null;
    },

    /** Save a JSON-serialisable value for ttlMs from now (each save restarts the clock). */
    set(key, value) {
      const raw = JSON.stringify({ value, expires: now() + ttlMs });
      try {
        if (storage) {
          storage.setItem(prefix + key, raw);
          memory.delete(key);
          return;
        }
      } catch {
        // Quota exceeded or storage revoked: keep it in memory for this page.
      }
      memory.set(key, raw);
    },

    remove,
  };
}
