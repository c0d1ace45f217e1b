// Reading and grading a quiz answer. Pure functions: no DOM, testable under Node.

const NUMBER = /^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d+)?$/i;

/** Spellings a unit is accepted in, lower-cased ("×" also accepts x and times). */
export function unitSpellings(spec) {
  const units = [spec.unit || "", ...(spec.units || [])].filter(Boolean);
  if (units.includes("×")) units.push("x", "times");
  return [...new Set(units.map((u) => u.toLowerCase()))];
}

/** Parse the reader's text into a number, or say what was expected. */
export function readNumber(text, spec) {
  const example = `${formatNumber(spec.answer === 0 ? 1 : 2.5)}${spec.unit ? unitJoin(spec.unit) : ""}`;
  const expected = spec.unit
    ? `Enter a number, such as ${example} (the unit ${spec.unit} is optional).`
    : `Enter a number, such as ${example}.`;
  let rest = String(text ?? "").trim().replace(/\u2212/g, "-");
  if (!rest) return { ok: false, message: `Nothing to check yet. ${expected}` };
  const bare = rest.replace(/\s+/g, "");
  if (NUMBER.test(bare) && /\d/.test(bare)) return { ok: true, value: Number(bare.replace(/,/g, "")) };
  const match = rest.match(/^([^a-z×%]*?)\s*([a-z×%][\w×%]*)?\.?$/i);
  if (!match) return { ok: false, message: `“${text.trim()}” is not a number. ${expected}` };
  const [, numberPart, unitPart] = match;
  if (unitPart) {
    const spelling = unitPart.toLowerCase();
    if (!unitSpellings(spec).includes(spelling)) {
      const which = spec.unit ? `This question is in ${spec.unit}, not ${unitPart}.` : `This question needs no unit.`;
      return { ok: false, message: `${which} ${expected}` };
    }
  }
  const digits = numberPart.replace(/\s+/g, "");
  if (!digits || !NUMBER.test(digits) || !/\d/.test(digits)) {
    return { ok: false, message: `“${text.trim()}” is not a number. ${expected}` };
  }
  return { ok: true, value: Number(digits.replace(/,/g, "")) };
}

/** Parse true/false in any case. */
export function readBoolean(text) {
  const word = String(text ?? "").trim().toLowerCase();
  if (word === "true") return { ok: true, value: true };
  if (word === "false") return { ok: true, value: false };
  const said = word ? `“${String(text).trim()}” is not an answer to a true/false question. ` : "Nothing to check yet. ";
  return { ok: false, message: `${said}Type true or false.` };
}

export function close(value, target, tolerance) {
  const scale = Math.max(Math.abs(target), 1e-12);
  return Math.abs(value - target) <= tolerance * scale + 1e-12;
}

/**
 * Grade an answer.
 * Returns {verdict: "right" | "wrong" | "unreadable", message, feedback}
 * where feedback is the `--- if` value the answer matched, or null.
 */
export function grade(text, spec, feedbackValues = []) {
  if (spec.kind === "truefalse") {
    const read = readBoolean(text);
    if (!read.ok) return { verdict: "unreadable", message: read.message, feedback: null };
    const right = read.value === spec.answer;
    return {
      verdict: right ? "right" : "wrong",
      message: right ? `Right: the statement is ${spec.answer}.` : `Not quite: the statement is not ${read.value}.`,
      feedback: null,
    };
  }
  const read = readNumber(text, spec);
  if (!read.ok) return { verdict: "unreadable", message: read.message, feedback: null };
  const tolerance = spec.tolerance ?? 1e-9;
  if (close(read.value, spec.answer, tolerance)) {
    return { verdict: "right", message: `Right: ${formatNumber(spec.answer)}${unitJoin(spec.unit)}.`, feedback: null };
  }
  const feedback = feedbackValues.find((v) => close(read.value, Number(v), Math.max(tolerance, 1e-9))) ?? null;
  return {
    verdict: "wrong",
    message: `Not quite: ${formatNumber(read.value)}${unitJoin(spec.unit)} is not the answer. Try again, or show the answer.`,
    feedback,
  };
}

export function formatNumber(value) {
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

function unitJoin(unit) {
  if (!unit) return "";
  return unit === "×" || unit === "%" ? unit : ` ${unit}`;
}
