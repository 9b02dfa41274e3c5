"""Turn an answer cell into the token sequence that copying cannot disguise.

Code cells go through Python's own ``ast`` and ``tokenize``:

- comments, blank lines, indentation and line continuations are dropped;
- docstrings, and every other statement that is only a string, are dropped;
- every name the cell *binds* (parameters, assigned and loop variables, functions and
  classes it defines, import aliases) becomes ``V``, so renaming changes nothing;
  names it only *uses* (``np``, ``range``, attribute names such as ``.shape``) stay,
  because a copier cannot rename them;
- string literals (f-strings included) become ``S``; numbers and operators stay.

Markdown cells (written answers) become their lower-cased words.

Each token keeps the character span it came from, so that matches found on the
normalised sequence can be highlighted in the answer as the student wrote it.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

VARIABLE = "V"
STRING = "S"
END_OF_STATEMENT = ";"

_BUILTINS = frozenset(dir(builtins))
_DROPPED = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
# Python >= 3.12 splits f-strings into several tokens; older versions give one STRING.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_MAGIC_LINE = re.compile(r"^[ \t]*[%!]", re.MULTILINE)
_WORD = re.compile(r"\w+")
_LITERAL = "\0literal"  # marks "the previous token was a string" (no word equals it)


@dataclass(frozen=True)
class Tokens:
    """A normalised answer: tokens and where each one came from.

    Attributes
    ----------
    words : tuple of str
        The normalised tokens, in order.
    starts, ends : tuple of int
        Character span ``source[starts[i]:ends[i]]`` of token ``i``.
    note : str
        Why the normalisation had to guess (the code did not parse), else "".
    """

    words: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    note: str = ""

    def __len__(self) -> int:
        return len(self.words)


def normalize(source: str, kind: str = "code", release: bool = False) -> Tokens:
    """Normalise one answer cell; ``kind`` is the nbgrader cell type.

    ``release=True`` for the released stub: every name that is not a builtin or an
    attribute becomes ``V`` (the stub's ``return out, cache`` only reads ``out``, which
    the answers bind).
    """
    if kind == "markdown":
        return normalize_text(source)
    return normalize_code(source, all_names=release)


def without_release(tokens: Tokens, release: Tokens, min_run: int = 4) -> Tokens:
    """``tokens`` minus the runs it shares, in order, with the released cell.

    The stub's signature, its trailing ``return out, cache`` and the like are aligned
    with the answer (difflib, as ``diff`` would) and dropped when a run is at least
    ``min_run`` tokens long (or the whole release, if shorter), so the released code
    never counts, not even as the start of a fingerprint that runs into the answer.
    """
    if not release.words or not tokens.words:
        return tokens
    shortest = min(min_run, len(release.words))
    matcher = difflib.SequenceMatcher(None, release.words, tokens.words, autojunk=False)
    keep = [True] * len(tokens.words)
    for block in matcher.get_matching_blocks():
        if block.size >= shortest:
            keep[block.b:block.b + block.size] = [False] * block.size
    if all(keep):
        return tokens
    return Tokens(
        tuple(w for w, k in zip(tokens.words, keep, strict=True) if k),
        tuple(w for w, k in zip(tokens.starts, keep, strict=True) if k),
        tuple(w for w, k in zip(tokens.ends, keep, strict=True) if k),
        tokens.note,
    )


def normalize_text(source: str) -> Tokens:
    """Lower-cased words of a written answer (markdown), punctuation and markup dropped."""
    found = list(_WORD.finditer(source))
    return Tokens(
        tuple(m.group().lower() for m in found),
        tuple(m.start() for m in found),
        tuple(m.end() for m in found),
    )


def normalize_code(source: str, all_names: bool = False) -> Tokens:
    """Normalise Python code; never raises, whatever the student wrote.

    Code that does not parse is still tokenised (up to the first token error); its
    bound names are then guessed: every name that is not a keyword, a builtin or an
    attribute counts as bound. ``all_names=True`` guesses so for any code (the stub).
    """
    # IPython magics and shell escapes (%timeit, !ls) are not Python: make them
    # comments of the same length so that character positions do not move.
    source_py = _MAGIC_LINE.sub(lambda m: m.group()[:-1] + "#", source)
    note = ""
    try:
        tree = ast.parse(source_py)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        # RecursionError/MemoryError: nesting too deep for the parser (hostile or not)
        tree = None
        note = f"does not parse ({type(err).__name__}: {getattr(err, 'msg', err)}"[:120]
        note += "); names guessed"
    bound, bare_strings = _scan(tree) if tree is not None else (None, set())
    if all_names:
        bound = None
    words, starts, ends = _tokens(source_py, bound, bare_strings)
    return Tokens(tuple(words), tuple(starts), tuple(ends), note)


def _scan(tree: ast.AST) -> tuple[frozenset[str], set[tuple[int, int]]]:
    """Names the cell binds, and (line, column) of every statement that is only a string
    (docstrings and the like), in one walk over the tree."""
    names: set[str] = set()
    bare: set[tuple[int, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Expr):
            value = node.value
            if isinstance(value, ast.JoinedStr) or (
                isinstance(value, ast.Constant) and isinstance(value.value, str)
            ):
                bare.add((value.lineno, value.col_offset))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return frozenset(names), bare


def _tokens(
    source: str, bound: frozenset[str] | None, bare_strings: set[tuple[int, int]]
) -> tuple[list[str], list[int], list[int]]:
    line_starts = [0]
    for line in source.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        row, col = pos
        return line_starts[row - 1] + col if row - 1 < len(line_starts) else len(source)

    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    fstring_depth = 0  # inside an f-string (Python >= 3.12 tokenises its parts)
    dropping = False  # the string being read is a bare statement: leave it out
    skip_newline = False
    previous = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            kind, text = tok.type, tok.string
            if fstring_depth:
                fstring_depth += (kind == _FSTRING_START) - (kind == _FSTRING_END)
                if fstring_depth == 0 and not dropping:
                    ends[-1] = offset(tok.end)
                continue
            if kind in _DROPPED or (kind == tokenize.ERRORTOKEN and text.isspace()):
                continue
            is_string = kind == tokenize.STRING or kind == _FSTRING_START
            if is_string:
                fstring_depth = int(kind == _FSTRING_START)
                dropping = tok.start in bare_strings or (dropping and previous == _LITERAL)
                if dropping:
                    skip_newline = True
                    previous = _LITERAL
                    continue
                if previous == _LITERAL:  # implicit concatenation: one literal
                    ends[-1] = offset(tok.end)
                    continue
                word = STRING
            elif kind == tokenize.NEWLINE:
                dropping = False
                if skip_newline or not words or words[-1] == END_OF_STATEMENT:
                    skip_newline = False
                    previous = END_OF_STATEMENT
                    continue
                word = END_OF_STATEMENT
            elif kind == tokenize.NAME and not keyword.iskeyword(text):
                word = _name(text, bound, previous)
            else:
                word = text
            dropping = False
            skip_newline = False
            words.append(word)
            starts.append(offset(tok.start))
            ends.append(offset(tok.end))
            previous = _LITERAL if is_string else word
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # keep what was read before the error
    if words and words[-1] == END_OF_STATEMENT:
        words.pop()
        starts.pop()
        ends.pop()
    return words, starts, ends


def _name(text: str, bound: frozenset[str] | None, previous: str) -> str:
    if previous == ".":
        return text  # an attribute: .shape, .reshape
    if bound is None:  # code that did not parse: guess
        return text if text in _BUILTINS else VARIABLE
    return VARIABLE if text in bound else text
