// Reading and grading a quiz answer. Pure functions: no DOM, testable under Node.

// A number at the start of the text: digits with an optional thousands grouping
// (65,536), decimals after a point, an exponent (1.75e1).
const LEADING_NUMBER = /^[+-]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/i;
// A decimal comma, as many countries write it: 17,5 or 0,25 (but not 65,536).
const DECIMAL_COMMA = /^[+-]?\d+,(?:\d{1,2}|\d{4,})(?:\s*[a-zµ×%]+)?$/i;
// What may follow the number as its unit: letters and the signs × and %.
const UNIT_WORD = /^[a-zµ×%]+$/i;

/**
 * Spellings a unit is accepted in, lower-cased. "×" also accepts x and times; a
 * plural word also accepts its singular ("3 level" for levels).
 */
export function unitSpellings(spec) {
  const units = [spec.unit || "", ...(spec.units || [])].filter(Boolean);
  if (units.includes("×")) units.push("x", "times");
  const spellings = units.map((u) => u.toLowerCase());
  for (const u of [...spellings]) {
    if (/^[a-z]{3,}s$/.test(u)) spellings.push(u.slice(0, -1));
  }
  return [...new Set(spellings)];
}

/** Parse the reader's text into a number, or say what was expected. */
export function readNumber(text, spec) {
  const example = `${formatNumber(spec.answer === 0 ? 1 : 2.5)}${spec.suffix ?? ""}`;
  const expected = spec.unit
    ? `Enter a number, such as ${example} (the unit ${spec.unit} is optional).`
    : `Enter a number, such as ${example}.`;
  const said = String(text ?? "").trim();
  const rest = said.replace(/\u2212/g, "-").replace(/\.$/, "").trim(); // a sentence's full stop
  if (!rest) return { ok: false, message: `Nothing to check yet. ${expected}` };
  if (DECIMAL_COMMA.test(rest)) {
    const pointed = rest.replace(",", ".");
    return { ok: false, message: `Use a point for decimals: ${pointed}, not ${rest}.` };
  }
  const match = rest.match(LEADING_NUMBER);
  const notANumber = { ok: false, message: `“${said}” is not a number. ${expected}` };
  if (!match) return notANumber;
  const unit = rest.slice(match[0].length).trim();
  if (unit) {
    if (!UNIT_WORD.test(unit)) return notANumber; // 0x11, 4..0, 1,2,3, 3 4
    if (!unitSpellings(spec).includes(unit.toLowerCase())) {
      const which = spec.unit ? `This question is in ${spec.unit}, not ${unit}.` : "This question needs no unit.";
      return { ok: false, message: `${which} ${expected}` };
    }
  }
  const value = Number(match[0].replace(/,/g, ""));
  if (!Number.isFinite(value)) {
    return { ok: false, message: `${match[0]} is too large a number to check. ${expected}` };
  }
  return { ok: true, value };
}

/** Parse "true" or "false" (the values of the two radio buttons), in any case. */
export function readBoolean(text) {
  const word = String(text ?? "").trim().replace(/\.$/, "").toLowerCase();
  if (word === "true") return { ok: true, value: true };
  if (word === "false") return { ok: true, value: false };
  return { ok: false, message: "Choose True or False, then Check." };
}

export function close(value, target, tolerance) {
  const scale = Math.max(Math.abs(target), 1e-12);
  return Math.abs(value - target) <= tolerance * scale + 1e-12;
}

/**
 * Grade an answer.
 * Returns {verdict: "right" | "wrong" | "unreadable", message, feedback}
 * where feedback is the `--- if` value the answer matched, or null. A wrong answer's
 * message never gives the answer away.
 */
export function grade(text, spec, feedbackValues = []) {
  if (spec.kind === "truefalse") {
    const read = readBoolean(text);
    if (!read.ok) return { verdict: "unreadable", message: read.message, feedback: null };
    const right = read.value === spec.answer;
    const said = String(read.value);
    return {
      verdict: right ? "right" : "wrong",
      message: right ? `Right: the statement is ${spec.answer}.` : "Not quite. Read the statement again, or show the answer.",
      feedback: right ? null : feedbackValues.find((v) => v.trim().toLowerCase() === said) ?? null,
    };
  }
  const read = readNumber(text, spec);
  if (!read.ok) return { verdict: "unreadable", message: read.message, feedback: null };
  const tolerance = spec.tolerance ?? 1e-9;
  if (close(read.value, spec.answer, tolerance)) {
    return { verdict: "right", message: `Right: ${formatNumber(spec.answer)}${spec.suffix ?? ""}.`, feedback: null };
  }
  const feedback = feedbackValues.find((v) => close(read.value, Number(v), Math.max(tolerance, 1e-9))) ?? null;
  return {
    verdict: "wrong",
    message: `Not quite: ${formatNumber(read.value)}${spec.suffix ?? ""} is not the answer. Try again, or show the answer.`,
    feedback,
  };
}

/** A number as the quiz writes it: grouped digits, or powers of ten when very large or small. */
export function formatNumber(value) {
  const number = Number(value);
  const size = Math.abs(number);
  if (size >= 1e15 || (size > 0 && size < 1e-6)) {
    const [mantissa, exponent] = number.toExponential(3).split("e");
    return `${String(Number(mantissa))}e${Number(exponent)}`;
  }
  return number.toLocaleString("en-US", { maximumFractionDigits: 6 });
}
