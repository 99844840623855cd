"""Hypothesis strategies for hostile cookie values and ``Cookie`` headers.

Headers are built as latin-1 text, the way WSGI hands them over: each
character is one byte on the wire, so Unicode outside latin-1 appears as
its UTF-8 bytes.
"""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from .servers import FOREIGN_SIGNED, NAME, SEALED_VALUES, VALUES

#: Characters a lenient decoder might skip or a sloppy parser might trip on.
FOREIGN_CHARS = [
    "=",
    "==",
    ".",
    "+",
    "/",
    "!",
    " ",
    "\t",
    "\x00",
    "\r\n",
    "\xa0",
    "\xc2\xa0",  # NBSP as UTF-8 bytes read as latin-1
    "é",
    "\xe2\x80\x83",  # EM SPACE as UTF-8 bytes
    '"',
    "\\",
    ";",
    ",",
    "\xff",
]

_position = st.integers(min_value=0, max_value=10_000)

_mutation = st.one_of(
    st.tuples(st.just("flip"), _position, st.integers(0, 7)),
    st.tuples(st.just("truncate"), _position),
    st.tuples(st.just("insert"), _position, st.sampled_from(FOREIGN_CHARS)),
    st.tuples(st.just("delete"), _position),
    st.tuples(st.just("swapcase"), _position),
    st.tuples(st.just("pad"), st.integers(0, 2), st.sampled_from(["=", "==", "==="])),
    st.tuples(st.just("double-dot"), st.integers(0, 1)),
    st.tuples(st.just("splice"), st.integers(0, len(VALUES) - 1), st.integers(0, 2)),
    st.tuples(st.just("swap-parts"), st.integers(0, 2), st.integers(0, 2)),
)


def mutate(value: str, ops: list[tuple[Any, ...]]) -> str:
    """Apply mutation ``ops`` to a cookie value, in order."""
    for op in ops:
        kind = op[0]
        at = op[1] % (len(value) + 1) if isinstance(op[1], int) else 0
        if kind == "flip" and value:
            at %= len(value)
            value = value[:at] + chr(ord(value[at]) ^ (1 << op[2])) + value[at + 1 :]
        elif kind == "truncate":
            value = value[:at]
        elif kind == "insert":
            value = value[:at] + op[2] + value[at:]
        elif kind == "delete":
            value = value[:at] + value[at + 1 :]
        elif kind == "swapcase":
            value = value[:at] + value[at : at + 1].swapcase() + value[at + 1 :]
        elif kind == "pad":
            parts = value.split(".")
            index = op[1] % len(parts)
            parts[index] += op[2]
            value = ".".join(parts)
        elif kind == "double-dot":
            dots = [i for i, c in enumerate(value) if c == "."]
            if dots:
                i = dots[op[1] % len(dots)]
                value = value[:i] + "." + value[i:]
        elif kind == "splice":
            parts = value.split(".")
            other = VALUES[op[1]].split(".")
            if len(parts) == len(other):
                parts[op[2]] = other[op[2]]
                value = ".".join(parts)
        elif kind == "swap-parts":
            parts = value.split(".")
            i, j = op[1] % len(parts), op[2] % len(parts)
            parts[i], parts[j] = parts[j], parts[i]
            value = ".".join(parts)
    return value


#: (original, mutated) cookie values.
mutated_values = st.tuples(
    st.sampled_from(VALUES), st.lists(_mutation, min_size=1, max_size=4)
).map(lambda pair: (pair[0], mutate(*pair)))

#: (original, mutated) encrypted cookie values.
mutated_sealed_values = st.tuples(
    st.sampled_from(SEALED_VALUES), st.lists(_mutation, min_size=1, max_size=4)
).map(lambda pair: (pair[0], mutate(*pair)))

#: Shapes an encrypted-looking value can take without the server's key.
sealed_shaped = st.one_of(
    st.binary(max_size=120).map(
        lambda b: "e." + base64.urlsafe_b64encode(b).decode().rstrip("=")
    ),
    st.from_regex(r"\Ae\.[A-Za-z0-9_=-]{0,120}\Z"),
)

#: Text of every kind a ``Cookie`` header can carry, as latin-1 strings.
junk_text = st.one_of(
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "replace").decode("latin-1")),
    st.text(alphabet="".join(FOREIGN_CHARS) + "flashFLASH09azAZ", max_size=40),
)

#: Shapes a signed-looking value can take without the server's key.
signed_shaped = st.from_regex(
    r"\A[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,8}\.[A-Za-z0-9_=-]{40,46}\Z"
)

_exact_names = st.sampled_from([NAME, f" {NAME}", f"{NAME} ", f"\t{NAME}\t"])
_near_names = st.sampled_from(
    [
        "FLASH",
        "Flash",
        "flash_",
        "xflash",
        "\xa0flash",
        "flash\xa0",
        "\xc2\xa0flash",
        "\xe2\x80\x83flash",  # EM SPACE, as UTF-8 bytes read as latin-1
        "\xe3\x80\x80flash",  # IDEOGRAPHIC SPACE, likewise
        '"flash"',
        "flash\\",
        "\\flash",
        "fla sh",
        "flash\x00",
        "",
        "=flash",
        "session",
    ]
)


def _quoted(value: str, how: int) -> str:
    return [value, f'"{value}"', f" {value} ", f'"{value}', f'\\"{value}\\"'][how]


_pool_value = st.sampled_from(VALUES)
_any_value = st.one_of(
    _pool_value,
    mutated_values.map(lambda pair: pair[1]),
    st.sampled_from(FOREIGN_SIGNED),
    signed_shaped,
    junk_text,
)

#: One ``name=value`` (or nameless, or not a pair at all) between separators.
fragment = st.one_of(
    st.builds(
        lambda n, v, q: f"{n}={_quoted(v, q)}",
        _exact_names,
        _pool_value,
        st.integers(0, 4),
    ),
    st.builds(lambda n, v: f"{n}={v}", _exact_names, _any_value),
    st.builds(lambda n, v: f"{n}={v}", _near_names, _pool_value),
    st.builds(lambda v: f"={v}", _pool_value),
    st.builds(lambda v: f"=flash={v}", _pool_value),
    st.builds(lambda n, v: f"{n}={v}", junk_text, junk_text),
    junk_text,
)

separator = st.sampled_from([";", "; ", ";;", " ; ", "\t;", ";\t", "; ;", ";  "])


@st.composite
def cookie_headers(draw: st.DrawFn) -> list[str]:
    """Fragments of one ``Cookie`` header, each already joined to its separator.

    Returned as a list so an ASGI request can spread them over several
    ``cookie`` headers (HTTP/2 does) at fragment boundaries.
    """
    fragments = draw(st.lists(fragment, max_size=8))
    return [
        fragments[0] if i == 0 else draw(separator) + fragments[i]
        for i in range(len(fragments))
    ]
