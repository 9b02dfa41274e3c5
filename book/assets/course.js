/* The course site's script: search snippets show math as readable text.
 *
 * Sphinx's search page (searchtools.js) builds each result's snippet from the
 * text of the page's HTML, where the math is still TeX source for MathJax:
 * a reader would see "\(W_1 \times H_1\)". Before the snippet is cut, every
 * math element's TeX is turned into plain text here ("W₁ × H₁").
 */
"use strict";

const COURSE_TEX_SYMBOLS = {
  times: "×", cdot: "·", cdots: "⋯", ldots: "…", dots: "…", div: "÷", pm: "±",
  le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈",
  sim: "∼", to: "→", rightarrow: "→", leftarrow: "←", Rightarrow: "⇒",
  infty: "∞", sum: "Σ", prod: "∏", partial: "∂", nabla: "∇", in: "∈",
  odot: "⊙", otimes: "⊗", circ: "∘", star: "⋆", ast: "∗", max: "max",
  min: "min", log: "log", exp: "exp", lfloor: "⌊", rfloor: "⌋",
  lceil: "⌈", rceil: "⌉", alpha: "α", beta: "β", gamma: "γ", delta: "δ",
  epsilon: "ε", eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π",
  rho: "ρ", sigma: "σ", tau: "τ", phi: "φ", omega: "ω", Delta: "Δ",
  Sigma: "Σ", Omega: "Ω",
};
const COURSE_SUBSCRIPTS = {
  0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈",
  9: "₉", "+": "₊", "-": "₋", "=": "₌", "(": "₍", ")": "₎", a: "ₐ", e: "ₑ",
  h: "ₕ", i: "ᵢ", j: "ⱼ", k: "ₖ", l: "ₗ", m: "ₘ", n: "ₙ", o: "ₒ", p: "ₚ",
  r: "ᵣ", s: "ₛ", t: "ₜ", u: "ᵤ", v: "ᵥ", x: "ₓ",
};
const COURSE_SUPERSCRIPTS = {
  0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸",
  9: "⁹", "+": "⁺", "-": "⁻", "=": "⁼", "(": "⁽", ")": "⁾", n: "ⁿ", i: "ⁱ",
  T: "ᵀ",
};

/* One script, sub- or superscript: Unicode where every character has a form,
 * else "_(...)" / "^(...)". */
function courseScript(text, table, mark) {
  const chars = Array.from(text);
  if (chars.every((c) => c in table)) {
    return chars.map((c) => table[c]).join("");
  }
  return chars.length === 1 ? mark + text : `${mark}(${text})`;
}

/* Plain text for a TeX formula, good enough to read in a search snippet. */
function courseTexToText(tex) {
  let s = tex.trim().replace(/^\\[([]/, "").replace(/\\[)\]]$/, "");
  s = s.replace(/\\(?:text|mathrm|mathbf|mathit|operatorname|textrm)\{([^{}]*)\}/g, "$1");
  // \frac{a}{b} -> (a)/(b), innermost first
  const frac = /\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}/;
  while (frac.test(s)) {
    s = s.replace(frac, (_, a, b) => {
      const wrap = (t) => (/^[\w.]+$/.test(t) ? t : `(${t})`);
      return `${wrap(a)}/${wrap(b)}`;
    });
  }
  s = s.replace(/\\sqrt\{([^{}]*)\}/g, "√($1)");
  s = s.replace(/\\(?:left|right|big|Big|bigl|bigr)\b/g, "");
  s = s.replace(/\\[,;:! ]|\\q?quad\b|~/g, " ");
  s = s.replace(/\\\{|\\\}/g, (m) => m[1]);
  s = s.replace(/\\([A-Za-z]+)/g, (m, name) => COURSE_TEX_SYMBOLS[name] ?? name);
  s = s.replace(/_\{([^{}]*)\}|_(\S)/g, (_, a, b) => courseScript(a ?? b, COURSE_SUBSCRIPTS, "_"));
  s = s.replace(/\^\{([^{}]*)\}|\^(\S)/g, (_, a, b) => courseScript(a ?? b, COURSE_SUPERSCRIPTS, "^"));
  return s.replace(/[{}]/g, "").replace(/\s+/g, " ").trim();
}

function courseReadableMathInSearch() {
  if (typeof Search === "undefined" || !Search.htmlToText || Search.courseMath) {
    return;
  }
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".math").forEach((el) => {
      el.textContent = courseTexToText(el.textContent);
    });
    return htmlToText(doc.documentElement.outerHTML, anchor);
  };
  Search.courseMath = true;
}

courseReadableMathInSearch();
document.addEventListener("DOMContentLoaded", courseReadableMathInSearch);
