"""The filter language: parse an expression once into a tree, render it as an SQL WHERE fragment.

Grammar (the fields and their values are in `filter_fields.FIELDS`; `help_text()` explains both):

    expression := group ("OR" group)*
    group      := unary (["AND"] unary)*
    unary      := "-" unary | "(" expression ")" | term
    term       := name ":" value | word          value, word: bare or "double-quoted"

The same tree serves `listen --filter`, `export --filter` and the GUI filter bar.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field

from b24monitor.core.errors import FilterSyntaxError
from b24monitor.core.filter_fields import (
    FIELDS,
    FIELDS_BY_NAME,
    HIDDEN_BY_DEFAULT,
    Clause,
    FilterField,
    help_text,
)

__all__ = ["FIELDS", "Filter", "FilterField", "help_text", "parse"]

_FIELD_NAME = re.compile(r"([A-Za-z_]+):")
_KEYWORDS = ("OR", "AND")
# One token per match: blanks, a parenthesis, a minus, or a term: an optional `name:` and then a
# "quoted value" (\" and \\ escape inside; a * may follow) or a bare run up to a blank or paren.
_TOKEN = re.compile(
    r"(?P<blank>\s+)|(?P<sign>[()-])|(?:(?P<name>[A-Za-z_]+):)?"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"(?P<star>\*?)|(?P<bare>[^\s()]*))',
    re.DOTALL,
)
_ESCAPE = re.compile(r'\\(["\\])')


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "term", "OR", "AND", "-", "(", ")"
    column: int  # 1-based, like every column a user sees
    name: str | None = None  # the field name of a term; None for a bare word
    value: str = ""
    value_column: int = 0


def _tokens(text: str) -> list[_Token]:
    """Splits an expression into tokens; quotes and `-` are settled here, fields in the parser."""
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        assert match is not None  # the bare alternative matches anywhere, if only ""
        pos = match.end()
        if match["sign"]:
            tokens.append(_Token(match["sign"], pos))
            if match["sign"] == "-" and _ends_token(text, pos) and text[pos : pos + 1] != "(":
                message = "'-' must be directly followed by a term, as in -event:ONTASK*."
                raise FilterSyntaxError(message, pos, text)
        elif not match["blank"]:
            after_minus = bool(tokens) and tokens[-1].kind == "-"
            tokens.append(_term_token(text, match, keywords=not after_minus))  # -OR is a word
    return tokens


def _ends_token(text: str, pos: int) -> bool:
    return pos == len(text) or text[pos].isspace() or text[pos] in "()"


def _term_token(text: str, match: re.Match[str], *, keywords: bool) -> _Token:
    value_start = match.start("quoted") - 1 if match["quoted"] is not None else match.start("bare")
    if match["quoted"] is None and match["bare"].startswith('"'):
        raise FilterSyntaxError(
            'this double quote is never closed; add the closing ".', value_start + 1, text
        )
    if match["quoted"] is not None and not _ends_token(text, match.end()):
        raise FilterSyntaxError("put a space after the closing quote.", match.end() + 1, text)
    if match["quoted"] is None:
        value = match["bare"]
    else:
        value = _ESCAPE.sub(r"\1", match["quoted"]) + match["star"]
    if keywords and match["name"] is None and match["quoted"] is None and value in _KEYWORDS:
        return _Token(value, match.start() + 1)
    return _Token("term", match.start() + 1, match["name"], value, value_start + 1)


@dataclass(frozen=True, slots=True)
class _Term:
    name: str
    value: str
    bare: bool
    clause: Clause = field(compare=False)

    def sql(self, now: float) -> tuple[str, list[object]]:
        return self.clause(now)

    def __str__(self) -> str:
        value = _quote(self.value, bare=self.bare)
        return value if self.bare else f"{self.name}:{value}"


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node

    def sql(self, now: float) -> tuple[str, list[object]]:
        sql, params = self.operand.sql(now)
        # NOT of NULL is NULL, so "NOT event GLOB ?" would drop rows without an event;
        # IS NOT 1 treats a NULL as "did not match", which is what -event: means to a user.
        return f"({sql}) IS NOT 1", params

    def __str__(self) -> str:
        operand = str(self.operand)
        return "-" + (f"({operand})" if isinstance(self.operand, _Junction) else operand)


@dataclass(frozen=True, slots=True)
class _Junction:
    operator: str  # "AND" or "OR"
    operands: tuple[_Node, ...]

    def sql(self, now: float) -> tuple[str, list[object]]:
        parts: list[str] = []
        params: list[object] = []
        for operand in self.operands:
            sql, operand_params = operand.sql(now)
            parts.append(_parenthesized(sql))
            params.extend(operand_params)
        return f" {self.operator} ".join(parts), params

    def __str__(self) -> str:
        if self.operator == "OR":
            return " OR ".join(str(operand) for operand in self.operands)
        return " ".join(f"({o})" if isinstance(o, _Junction) else str(o) for o in self.operands)


_Node = _Term | _Not | _Junction


def _parenthesized(sql: str) -> str:
    return f"({sql})" if " AND " in sql or " OR " in sql else sql


def _quote(value: str, *, bare: bool = False) -> str:
    """The value as typed in an expression: quoted when it would otherwise read differently."""
    plain = value and not any(c.isspace() or c in '()"\\' for c in value)
    if bare:
        plain = (
            plain and value[0] != "-" and value not in _KEYWORDS and not _FIELD_NAME.match(value)
        )
    if plain:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    """Recursive descent over the tokens; every error names the column it is about."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.pos = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _fail(self, message: str, column: int) -> FilterSyntaxError:
        return FilterSyntaxError(message, column, self.expression)

    def parse(self) -> _Node | None:
        if not self.tokens:
            return None
        node = self._expression()
        stray = self._peek()
        if stray is not None:  # only a ")" can stop an expression early
            raise self._fail("this ')' has no matching '('; remove it.", stray.column)
        return node

    def _expression(self, opening: _Token | None = None) -> _Node:
        groups = [self._group(opening)]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.pos += 1
            groups.append(self._group(opening, after=token))
        return groups[0] if len(groups) == 1 else _Junction("OR", tuple(groups))

    def _group(self, opening: _Token | None, after: _Token | None = None) -> _Node:
        operands = [self._operand(opening, after)]
        while (token := self._peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.pos += 1
            operands.append(self._operand(opening, token if token.kind == "AND" else None))
        return operands[0] if len(operands) == 1 else _Junction("AND", tuple(operands))

    def _operand(self, opening: _Token | None, after: _Token | None) -> _Node:
        """The next term, negation or group; `after` is the OR/AND keyword just read, if any."""
        token = self._peek()
        if token is not None and token.kind not in ("OR", "AND", ")"):
            return self._unary()
        if after is not None or (token is not None and token.kind != ")"):
            keyword = after or token
            assert keyword is not None
            message = (
                f"{keyword.kind} needs a term on both sides; add one or remove the {keyword.kind}."
            )
            raise self._fail(message, keyword.column)
        if token is None:  # "a (" at the very end
            assert opening is not None
            raise self._fail("this '(' is never closed; add the ')'.", opening.column)
        if opening is None:
            raise self._fail("this ')' has no matching '('; remove it.", token.column)
        raise self._fail("the parentheses are empty; put a term inside.", token.column)

    def _unary(self) -> _Node:
        token = self.tokens[self.pos]
        self.pos += 1
        if token.kind == "-":  # the lexer made sure a term, '-' or '(' follows
            return _Not(self._unary())
        if token.kind == "(":
            node = self._expression(opening=token)
            if self._peek() is None:
                raise self._fail("this '(' is never closed; add the ')'.", token.column)
            self.pos += 1
            return node
        return self._term(token)

    def _term(self, token: _Token) -> _Term:
        name = "text" if token.name is None else token.name.lower()
        filter_field = FIELDS_BY_NAME.get(name)
        if filter_field is None:
            raise self._fail(_unknown_field_message(name), token.column)
        if not token.value:
            raise self._fail(
                f"{name}: needs a value, as in {filter_field.example}.", token.value_column
            )
        try:
            clause = filter_field.compile(token.value)
        except FilterSyntaxError as error:
            raise self._fail(error.message, token.value_column) from None
        return _Term(name, token.value, token.name is None, clause)


def _unknown_field_message(name: str) -> str:
    close = difflib.get_close_matches(name, list(FIELDS_BY_NAME), n=1, cutoff=0.6)
    if close:
        return f"unknown field '{name}'; did you mean '{close[0]}'?"
    names = ", ".join(FIELDS_BY_NAME)
    return f"unknown field '{name}'; use one of {names}, or put text with a colon in double quotes."


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter expression; build it with `parse()`."""

    expression: str
    _root: _Node | None = field(repr=False)

    @property
    def is_empty(self) -> bool:
        """True when the filter matches every event."""
        return self._root is None

    def to_sql(self, now: float | None = None) -> tuple[str, list[object]]:
        """A WHERE fragment over `events` (safe to AND with more) and its parameters.

        Ages such as `since:-15m` count back from `now`, which defaults to the current time.
        Unless the expression names an origin, canary round trips are left out.
        """
        if self._root is None:
            return HIDDEN_BY_DEFAULT, []
        sql, params = self._root.sql(time.time() if now is None else now)
        sql = f"({sql})" if " OR " in sql else sql
        if not _mentions(self._root, "origin"):
            sql = f"{_parenthesized(sql)} AND {HIDDEN_BY_DEFAULT}"
        return sql, params

    def __str__(self) -> str:
        return "" if self._root is None else str(self._root)


def _mentions(node: _Node, name: str) -> bool:
    if isinstance(node, _Term):
        return node.name == name
    if isinstance(node, _Not):
        return _mentions(node.operand, name)
    return any(_mentions(operand, name) for operand in node.operands)


def parse(expression: str) -> Filter:
    """Parse a filter expression; a blank one matches everything.

    Raises:
        FilterSyntaxError: with the 1-based column of the fault.
    """
    return Filter(expression, _Parser(expression).parse())
