// Pure helpers of the instruments: readable numbers and the URL-fragment state.
// No DOM here, so Node's test runner can import it (tests/js/format.test.mjs).
// The one writer of the instruments' numbers: the build has it write the tables
// shown without JavaScript too (instruments/static_views.py, under Node).

/** "65536" -> "65,536" (rounds half up; for non-negative numbers). */
export function groupThousands(x) {
  return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A number shown as it is, as a template string writes it: 3 -> "3", 1.58 -> "1.58", 128 -> "128". */
export function plainNumber(x) {
  return String(x);
}

/** Three significant digits, trailing zeros dropped: 17.5 -> "17.5", 140 -> "140", 0.0625 -> "0.0625". */
export function sig3(x) {
  let text = x.toPrecision(3);
  if (text.includes("e")) return text.replace("e+", "e");
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text;
}

/** FLOP counts as the chapter writes them: 1.2e15 FLOPs. */
export function formatFlops(x) {
  return `${x.toExponential(1).replace("e+", "e")} FLOPs`;
}

/** "How many times": 65,536× (integers grouped) or 3 significant digits below 100. */
export function formatRatio(x) {
  return x >= 100 ? `${groupThousands(x)}×` : `${sig3(x)}×`;
}

const BYTE_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];

/** Decimal byte units (1 KB = 1000 B, as 1 GB = 1e9 B in the chapter): 131072 -> "131 KB". */
export function formatBytes(x) {
  let unit = 0;
  while (unit < BYTE_UNITS.length - 1 && x >= 1000 ** (unit + 1)) unit += 1;
  let text = sig3(x / 1000 ** unit);
  if (Number(text) >= 1000 && unit < BYTE_UNITS.length - 1) {
    unit += 1;
    text = sig3(x / 1000 ** unit);
  }
  return `${text} ${BYTE_UNITS[unit]}`;
}

/** `formatBytes`, or "none" where nothing is kept (a Transformer's state, an SSM's cache). */
export function memoryOrNone(x) {
  return x ? formatBytes(x) : "none";
}

/** Gigabytes given as such (weight storage): 17.5 -> "17.5 GB". */
export function formatGB(gb) {
  return gb >= 1 && gb < 1000 ? `${sig3(gb)} GB` : formatBytes(gb * 1e9);
}

/** A relative error as a percentage: 0.1188 -> "11.9%". */
export function formatPercent(x) {
  return `${sig3(x * 100)}%`;
}

const TIME_UNITS = [["µs", 1e-3], ["ms", 1], ["s", 1e3]];

/** A time given in milliseconds, 3 significant digits: 0.0112 -> "11.2 µs", 437.7 -> "438 ms", 19400 -> "19.4 s". */
export function formatMs(ms) {
  let unit = ms < 1 ? 0 : ms < 1000 ? 1 : 2;
  let text = sig3(ms / TIME_UNITS[unit][1]);
  if (Number(text) >= 1000 && unit < TIME_UNITS.length - 1) {
    unit += 1;
    text = sig3(ms / TIME_UNITS[unit][1]);
  }
  return `${text} ${TIME_UNITS[unit][0]}`;
}

/** Tokens with separators: "131,072 tokens". */
export function formatTokens(n) {
  return `${groupThousands(n)} tokens`;
}

/** Short power-of-two lengths for tick labels: 512, 4K, 128K, 1M. */
export function shortTokens(n) {
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  return groupThousands(n);
}

/** Bits per weight: 4 -> "4 bits", 1.58 -> "1.58 bits". */
export function formatBits(b) {
  return `${b} bit${b === 1 ? "" : "s"}`;
}

/** Parameter counts: 7e9 -> "7 billion", 4.05e11 -> "405 billion". */
export function formatParams(p) {
  if (p >= 1e12) return `${sig3(p / 1e12)} trillion`;
  if (p >= 1e9) return `${sig3(p / 1e9)} billion`;
  if (p >= 1e6) return `${sig3(p / 1e6)} million`;
  return groupThousands(p);
}

/** "1 in every 8" for a hybrid period k (k = 1: every layer is attention). */
export function formatPeriod(k) {
  return k === 1 ? "every layer" : `1 in every ${k}`;
}

/** Index of `wanted` among `options` (compared as text, so "1.58" finds 1.58), else `fallback`. */
export function pickIndex(options, wanted, fallback) {
  if (wanted === undefined || wanted === null) return fallback;
  const index = options.findIndex((option) => String(option) === String(wanted));
  return index === -1 ? fallback : index;
}

/** Positions of `values` sorted ascending: a slider runs from small (left) to large (right). */
export function ascendingOrder(values) {
  return values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
}

// ── URL-fragment state ───────────────────────────────────────────────────────
//
//   #instrument-bit-width?bit-width:b=2,P=70B;scaling-explorer:n=65536,d=4096,N=16
//    └── anchor ───────┘ └── state of every instrument not at its defaults ──────┘
//
// The anchor (before "?") is an ordinary element id: the page scrolls there. The
// part after "?" holds one `name:key=value,...` group per instrument, separated by
// ";"; list values join their items with "+". A plain `#s11-4` carries no state,
// and a bare `#bit-width:b=2` (no anchor) is read too, anchored at its instrument.

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

function parseStates(text) {
  const states = {};
  for (const group of text.split(";")) {
    const colon = group.indexOf(":");
    if (colon <= 0) continue;
    const name = decode(group.slice(0, colon));
    if (!name) continue;
    const values = {};
    for (const pair of group.slice(colon + 1).split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) continue;
      const key = decode(pair.slice(0, eq));
      const value = decode(pair.slice(eq + 1));
      if (key && value !== null) values[key] = value;
    }
    states[name] = { ...(states[name] || {}), ...values };
  }
  return states;
}

/**
 * Read a location hash ("#..." or "") into {anchor, states}.
 * `anchor` is the id to scroll to (or null); `states` maps instrument name to
 * {key: text value}.
 */
export function parseFragment(hash) {
  let text = (hash || "").replace(/^#/, "");
  if (!text) return { anchor: null, states: {} };
  const question = text.indexOf("?");
  let anchor = text;
  let stateText = "";
  if (question !== -1) {
    anchor = text.slice(0, question);
    stateText = text.slice(question + 1);
  } else if (/^[\w-]+:[^=]+=/.test(text)) {
    anchor = "";
    stateText = text;
  }
  const states = stateText ? parseStates(stateText) : {};
  anchor = decode(anchor) || null;
  if (!anchor) {
    const first = Object.keys(states)[0];
    anchor = first ? `instrument-${first}` : null;
  }
  return { anchor, states };
}

function encodeValue(value) {
  if (Array.isArray(value)) return value.map((item) => encodeURIComponent(String(item))).join("+");
  return encodeURIComponent(String(value));
}

/**
 * Write {anchor, states} as a hash ("#..."; "" when there is nothing to say).
 * `states` is a list of [name, {key: value}] in page order, or an object; a
 * null or empty state is left out, and so is an empty list value.
 */
export function serialiseFragment(anchor, states) {
  const entries = Array.isArray(states) ? states : Object.entries(states || {});
  const groups = [];
  for (const [name, values] of entries) {
    if (!values) continue;
    const pairs = Object.entries(values)
      .filter(([, value]) => value !== undefined && value !== null && !(Array.isArray(value) && !value.length))
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeValue(value)}`);
    if (pairs.length) groups.push(`${encodeURIComponent(name)}:${pairs.join(",")}`);
  }
  const head = anchor ? encodeURIComponent(anchor) : "";
  if (!groups.length) return head ? `#${head}` : "";
  return `#${head}?${groups.join(";")}`;
}

/** True when `values` differ from `defaults` in any key (lists compared item by item). */
export function differsFromDefaults(values, defaults) {
  return Object.keys(defaults).some((key) => {
    const a = values[key];
    const b = defaults[key];
    if (Array.isArray(a) || Array.isArray(b)) {
      const x = [...(a || [])].map(String).sort();
      const y = [...(b || [])].map(String).sort();
      return x.length !== y.length || x.some((item, i) => item !== y[i]);
    }
    return String(a) !== String(b);
  });
}

/** Split a "+"-joined list value ("ssm+hybrid") into its items. */
export function splitList(text) {
  return (text || "").split("+").filter(Boolean);
}
