// localStorage that never throws (private mode, full quota, disabled storage).

const PREFIX = "llm-field-manual:ch11:";

export function load(key) {
  try {
    return window.localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
}

export function save(key, value) {
  try {
    window.localStorage.setItem(PREFIX + key, value);
  } catch {
    /* storage unavailable: the page still works, it just forgets */
  }
}

export function remove(key) {
  try {
    window.localStorage.removeItem(PREFIX + key);
  } catch {
    /* nothing to do */
  }
}

/** Remove every saved key that starts with `group` (e.g. "quiz:"); returns how many. */
export function clear(group) {
  let removed = 0;
  try {
    const keys = [];
    for (let i = 0; i < window.localStorage.length; i++) {
      const key = window.localStorage.key(i);
      if (key && key.startsWith(PREFIX + group)) keys.push(key);
    }
    keys.forEach((key) => window.localStorage.removeItem(key));
    removed = keys.length;
  } catch {
    /* nothing saved */
  }
  return removed;
}
