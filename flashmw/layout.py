"""How the flash is laid out in cookies: a few small cookies per write.

A response never rewrites what another response wrote. It only

- adds cookies with fresh names (``flash.<write id><n>``) for what its
  request flashed: its list messages (every category) in one cookie, and
  the keyed values it put in another;
- deletes the cookies whose every entry its request consumed or cleared,
  and those that can never be shown again (invalid, expired, superseded);
- writes one *mark* cookie that records which keyed values were read,
  which keys were cleared and, when a read consumed only some categories
  of a message cookie, which categories of that cookie are gone; merged
  with the marks it found.

Additions and deletions commute, so when two tabs' requests overlap and
their responses reach the browser in any order, a list message shows until
a response that consumed it arrives, and never after. Keyed values and
clears are ordered by their *stamp*: the millisecond at which the writing
request first touched its flash (never earlier than any stamp it read),
then the write's random id, then the order of calls within the request.
The newest value of a key wins; a mark hides every value of its key (or,
for ``clear()``, every entry) stamped at or before it, so a value read or
cleared here cannot be overtaken later by an older value still on its way.
Marks of keyed values and clears live :data:`MARK_AGE` seconds: longer
than any request takes. A mark of consumed categories lives as long as
the message cookie it names, and goes when that cookie has gone.

The cookie named exactly ``cookie_name`` is the single cookie of flashmw
0.1: it is still read, and rewritten into this layout the first time a
response changes it.
"""

from __future__ import annotations

import binascii
import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .errors import FlashOverflowError
from .signing import CookieSigner
from .values import TaggedJSONSerializer, text_pairs_json

if TYPE_CHECKING:
    from .base import BaseFlashMiddleware

_NO_READS: Mapping[tuple[str, int, str], int] = MappingProxyType({})
_NO_WRITES: frozenset[tuple[int, str]] = frozenset()
#: Kinds of cookie: the list messages of one write, keyed values, marks.
MESSAGES, VALUES, MARKS = "m", "v", "x"
_KINDS = (MESSAGES, VALUES, MARKS)
_SEQUENCES = (list, tuple)
#: Seconds a mark lives: long enough for any overlapping request to answer,
#: short enough that marks never pile up.
MARK_AGE = 60

#: (milliseconds, write id, call number): the order of writes.
Stamp = tuple[int, str, int]
#: The write id of entries read from a 0.1 cookie: older than any write.
LEGACY_WRITE = ""
_NO_STAMP: Stamp = (-1, "", 0)
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# A write id is 8 base64url characters: 32 random bits drawn per process
# (and again every 65,536 writes) and a 16-bit counter. Ids stay unique
# across processes and threads without a system call per write.
_PREFIX_BYTES = 4
_COUNTER_BITS = 16
_writes = itertools.count()
_prefix: tuple[int, bytes] = (-1, b"")  # (cycle of the counter, random bytes)
# The first 6 characters encode the random bits and the counter's top 4
# bits: they change once per block of 4,096 writes, and the last two
# characters (the counter's low 12 bits) come from a table.
_BLOCK_BITS = 12
_BLOCK_MASK = (1 << _BLOCK_BITS) - 1
_head: tuple[int, str] = (-1, "")  # (block of the counter, its 6 characters)
_BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_LAST_TWO = tuple(first + second for first in _BASE64URL for second in _BASE64URL)


def new_write_id() -> str:
    """Return a fresh write id (8 base64url characters)."""
    global _head  # noqa: PLW0603 (per-process state, redrawn per block)
    number = next(_writes)  # atomic under the GIL
    block, head = _head
    if block != number >> _BLOCK_BITS:
        # A new block, a new process, or a thread that raced another here
        # (it computes the same head, or one under fresh random bits).
        head = _write_id(number)[:6]
        _head = (number >> _BLOCK_BITS, head)
    return head + _LAST_TWO[number & _BLOCK_MASK]


def _write_id(number: int) -> str:
    """Return the write id of counter value ``number``, the long way."""
    global _prefix  # noqa: PLW0603 (per-process state, redrawn per cycle)
    cycle, prefix = _prefix
    if cycle != number >> _COUNTER_BITS:
        # A new cycle, a new process or a thread that raced another here:
        # fresh random bits, so no id of an earlier cycle can come back.
        prefix = os.urandom(_PREFIX_BYTES)
        _prefix = (number >> _COUNTER_BITS, prefix)
    low = number & ((1 << _COUNTER_BITS) - 1)
    raw = binascii.b2a_base64(prefix + low.to_bytes(2, "big"), newline=False)
    return raw.translate(_TO_URLSAFE).decode("ascii")


def _forget_prefix() -> None:
    # A forked child shares the parent's prefix and counter: draw anew.
    global _prefix, _head  # noqa: PLW0603
    _prefix = (-1, b"")
    _head = (-1, "")


if hasattr(os, "register_at_fork"):  # no fork() on Windows
    os.register_at_fork(after_in_child=_forget_prefix)


class Entry:
    """One list message or keyed value, and what this request did with it."""

    __slots__ = ("name", "value", "stamp", "source", "consumed")

    def __init__(
        self, name: str, value: Any, stamp: Stamp, source: int | None = None
    ) -> None:
        self.name = name  # category or key
        self.value = value
        self.stamp = stamp
        # The id() of the Stored cookie it was read from; None while it
        # exists only in this request. Not the cookie itself: a cookie lists
        # its entries, and the two would make a cycle only the GC frees.
        self.source = source
        self.consumed = False


#: A mark: its key (``None``: everything), what it hides up to, and the
#: second it was made (marks expire MARK_AGE after that).
Mark = tuple[str | None, Stamp, int]
#: Which list messages a *read mark* hides: those of one category written
#: by one write, named by the write's (millisecond, write id).
Read = tuple[str, int, str]
#: How a mark cookie's entries tell their kind: a key, everything (the
#: mark of ``clear()``), or the categories of a write that were consumed.
_KEY, _EVERYTHING, _READ = 0, 1, 2


class Stored:
    """One flash cookie the request carried, decoded and verified."""

    __slots__ = ("name", "kind", "entries", "marks", "reads", "size", "legacy")

    def __init__(
        self, name: str, kind: str, size: int, *, legacy: bool = False
    ) -> None:
        self.name = name
        self.kind = kind
        self.size = size  # bytes it takes in the Cookie header
        self.legacy = legacy  # a part of a flashmw 0.1 cookie
        self.entries: list[Entry] = []
        # Only a mark cookie has marks (see decode): the others share empties.
        self.marks: Sequence[Mark] = ()
        self.reads: Mapping[Read, int] = _NO_READS  # read mark: second made


class Loaded:
    """What the request's flash cookies hold once marks are applied."""

    __slots__ = (
        "messages",
        "values",
        "cookies",
        "marks",
        "reads",
        "mark_cookies",
        "garbage",
        "newest",
        "waiting",
        "held",
        "plain",
    )

    def __init__(self) -> None:
        self.messages: list[Entry] = []  # visible, oldest first
        self.values: dict[str, Entry] = {}  # visible, oldest first
        self.cookies: list[Stored] = []  # message and value cookies still needed
        self.marks: dict[str | None, Mark] = {}  # newest live mark per key
        # Read marks whose message cookie is still here, with their second.
        self.reads: dict[Read, int] = {}
        self.mark_cookies: list[Stored] = []
        self.garbage: list[Stored] = []  # cookies that can never show again
        self.newest = -1  # the latest millisecond any cookie read was stamped
        # References to a store whose entries this request could not read
        # (see flashmw.store): kept as they are, and counted in the limits.
        self.waiting: list[Stored] = []
        self.held: AbstractSet[tuple[int, str]] = _NO_WRITES  # those references' writes
        # Whether every cookie read is one of list messages in this layout
        # (no marks, keyed values, references or 0.1 cookie).
        self.plain = True


#: What a request without flash cookies reads, shared by all of them (most
#: requests): never changed. A flash that loads it takes lists of its own.
NOTHING = Loaded()


def decode(mw: BaseFlashMiddleware[Any], name: str, raw: str, now: float) -> Stored:
    """Verify and decode one cookie of this layout.

    The document is ``[entries, [[kind, [suffix, stamps]]]]``: two lists
    of pairs, the shape the serializer encodes fastest. The suffix binds
    the content to the cookie's name, so a value copied to another name
    never reads. Every entry of a cookie of list messages or keyed values
    was written by one request, so their stamps are the write's
    ``[[milliseconds, write id], [call number of each entry]]``; a mark
    cookie's entries come from many writes and have one ``[milliseconds,
    write id, call number, second made]`` each.

    :raises ValueError: for anything but a cookie this layout wrote.
    """
    document = mw.serializer.loads(mw._signer.unsign(raw, now))
    # Every request with a flash runs this: the shape is checked inline,
    # one pass over the entries, rather than by a general document walk.
    # Unpacking checks the lengths (ValueError) and that each part can be
    # iterated (TypeError). A str or a dict (whose keys are str) iterates
    # too, but never takes the whole shape: what it yields is text, and
    # every leaf's type is checked below.
    try:
        entries, meta = document
        (head,) = meta
        kind, body = head
        suffix, stamps = body
    except (TypeError, ValueError):
        raise ValueError("payload is not a flash document") from None
    if suffix != name[len(mw.cookie_name) + 1 :]:
        raise ValueError("payload belongs to another cookie name")
    if (
        kind not in _KINDS
        or type(entries) not in _SEQUENCES
        or not entries
        or type(stamps) not in _SEQUENCES
    ):
        raise ValueError("payload is not a flash cookie")
    stored = Stored(name, kind, len(name) + len(raw) + 3)
    if kind == MARKS:
        if len(stamps) != len(entries):
            raise ValueError("payload is not a flash cookie")
        marks: list[Mark] = []
        reads: dict[Read, int] = {}
        stored.marks = marks
        stored.reads = reads
        for item, stamp in zip(entries, stamps, strict=True):
            target, flag = _pair(item)
            *full, made = _stamp(stamp, 4)
            if type(made) is not int or flag not in (_KEY, _EVERYTHING, _READ):
                raise ValueError("malformed mark")
            if flag == _READ:
                reads[(target, full[0], full[1])] = made
            else:
                marks.append((None if flag else target, _triple(full), made))
        return stored
    try:
        written, seqs = stamps
        ms, write = written
        count = len(seqs)
    except (TypeError, ValueError):
        raise ValueError("malformed stamp") from None
    if type(ms) is not int or type(write) is not str or count != len(entries):
        raise ValueError("malformed stamp")
    out = stored.entries
    source = id(stored)
    for item, seq in zip(entries, seqs):  # noqa: B905 (lengths checked; a keyword costs)
        if type(item) not in _SEQUENCES or type(seq) is not int:
            raise ValueError("payload entry is not a pair, or its stamp not an int")
        entry_name, value = item  # a ValueError unless a pair
        if type(entry_name) is not str:
            raise ValueError("payload entry is not a pair")
        out.append(Entry(entry_name, value, (ms, write, seq), source))
    if kind == VALUES and len({entry.name for entry in out}) != len(out):
        raise ValueError("a key appears twice")
    return stored


def _pair(item: Any) -> tuple[str, Any]:
    if type(item) not in _SEQUENCES or len(item) != 2 or type(item[0]) is not str:
        raise ValueError("payload entry is not a pair")
    return item[0], item[1]


def _stamp(raw: Any, length: int) -> list[Any]:
    if type(raw) not in (list, tuple) or len(raw) != length:
        raise ValueError("malformed stamp")
    if type(raw[0]) is not int or type(raw[1]) is not str or type(raw[2]) is not int:
        raise ValueError("malformed stamp")
    return list(raw)


def _triple(raw: list[Any]) -> Stamp:
    return (raw[0], raw[1], raw[2])


def decode_legacy(
    mw: BaseFlashMiddleware[Any], name: str, raw: str, now: float
) -> list[Stored]:
    """Verify and decode a flashmw 0.1 cookie: one cookie for the whole flash.

    Each of its entries becomes a cookie of its own, in memory, stamped with
    the cookie's signing time in its original order; the first response that
    changes any of them deletes the old cookie and writes the rest anew.
    """
    document = mw.serializer.loads(mw._signer.unsign(raw, now))
    messages, values = _pairs_document(document)
    if len(messages) + len(values) > mw.max_messages:
        raise ValueError(f"more than max_messages={mw.max_messages} entries")
    keys = [key for key, _ in values]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")
    try:
        ms = CookieSigner.timestamp(raw) * 1000
    except ValueError:
        # Encrypted: the signing time is sealed inside. The codec has just
        # checked it against max_age; the entries count from now.
        ms = int(now * 1000)
    parts = []
    for seq, (entry_name, value) in enumerate([*messages, *values]):
        # Size 0: a 0.1 cookie never counts towards the limits, because the
        # first response that writes converts it (see _fit).
        part = Stored(name, MESSAGES if seq < len(messages) else VALUES, 0)
        part.legacy = True
        part.entries = [Entry(entry_name, value, (ms, LEGACY_WRITE, seq), id(part))]
        parts.append(part)
    return parts


def _pairs_document(document: Any) -> tuple[list[tuple[str, Any]], list[Any]]:
    sequences = (list, tuple)
    if type(document) not in sequences or len(document) != 2:
        raise ValueError("payload is not a flash document")
    out = []
    for part in document:
        if type(part) not in sequences:
            raise ValueError("payload is not a flash document")
        pairs = []
        for item in part:
            if type(item) not in sequences or len(item) != 2:
                raise ValueError("payload entry is not a pair")
            if type(item[0]) is not str:
                raise ValueError("category or key is not a str")
            pairs.append((item[0], item[1]))
        out.append(pairs)
    return out[0], out[1]


def resolve(
    stored: list[Stored],
    max_age_ms: int,
    now_ms: int,
    waiting: Iterable[Stamp] = (),
) -> Loaded:
    """Apply marks, expiry and replace-on-set to the cookies read.

    What can never be shown again goes to ``garbage``, to be deleted by the
    next response that writes.

    :param waiting: the stamps of references to a store whose entries this
        request could not read: their read marks are kept.
    """
    if not waiting:
        for cookie in stored:
            if cookie.kind != MESSAGES:
                break
        else:
            return resolve_messages(stored, now_ms - max_age_ms)
    return resolve_general(stored, max_age_ms, now_ms, waiting)


def resolve_messages(items: list[Stored], oldest: int) -> Loaded:
    """:func:`resolve_general` for cookies of list messages only.

    The common case: no marks, no keyed values, so nothing hides anything
    and a cookie goes only when it expired (``oldest``: the earliest
    millisecond still shown).
    """
    loaded = Loaded()
    newest = -1
    for cookie in items:
        if cookie.legacy:
            loaded.plain = False
        entries = cookie.entries
        # One write made them all: one time (see decode).
        ms = entries[0].stamp[0]
        if ms > newest:  # noqa: PLR1730 (max() is a call)
            newest = ms
        if ms < oldest:
            loaded.garbage.append(cookie)
        else:
            loaded.messages.extend(entries)
            loaded.cookies.append(cookie)
    loaded.newest = newest
    if len(loaded.cookies) > 1:
        # One cookie's messages are in the order they were added already.
        loaded.messages.sort(key=_entry_stamp)
    return loaded


def resolve_general(
    items: list[Stored],
    max_age_ms: int,
    now_ms: int,
    waiting: Iterable[Stamp] = (),
) -> Loaded:
    """:func:`resolve` for any cookies: marks, keyed values, references."""
    loaded = Loaded()
    loaded.plain = False
    marks = loaded.marks
    reads: dict[Read, int] = {}
    made_after = now_ms // 1000 - MARK_AGE
    for cookie in items:
        for entry in cookie.entries:
            loaded.newest = max(loaded.newest, entry.stamp[0])
        for mark in cookie.marks:
            loaded.newest = max(loaded.newest, mark[1][0])
            if mark[2] >= made_after:
                newest = marks.get(mark[0])
                # Of two marks of one stamp (two tabs read one value), the
                # later made: it holds a minute after the later read.
                if newest is None or mark[1:] > newest[1:]:
                    marks[mark[0]] = mark
        reads.update(cookie.reads)
    everything = marks.get(None, (None, _NO_STAMP, 0))[1]
    for target in [t for t, mark in marks.items() if t and mark[1] <= everything]:
        del marks[target]
    oldest = now_ms - max_age_ms
    winners: dict[str, Entry] = {}
    for cookie in items:
        if cookie.kind == MARKS:
            continue
        if cookie.kind == MESSAGES:
            # The messages of a cookie share their write: one fate for all,
            # but for the categories a read mark says were consumed.
            last = cookie.entries[-1].stamp
            shown = cookie.entries
            if reads:
                shown = [e for e in shown if (e.name, *e.stamp[:2]) not in reads]
            if last[0] < oldest or last <= everything or not shown:
                loaded.garbage.append(cookie)
            else:
                loaded.messages.extend(shown)
                loaded.cookies.append(cookie)
            continue
        for entry in cookie.entries:
            hidden = marks.get(entry.name, (None, _NO_STAMP, 0))[1]
            if entry.stamp[0] < oldest or entry.stamp <= max(everything, hidden):
                continue  # expired, read or cleared: see the marks
            best = winners.get(entry.name)
            if best is None or entry.stamp > best.stamp:
                winners[entry.name] = entry
    for cookie in items:
        if cookie.kind == VALUES:
            if any(winners.get(e.name) is e for e in cookie.entries):
                loaded.cookies.append(cookie)
            else:
                loaded.garbage.append(cookie)
    # A read mark lives while its message cookie does: once that cookie is
    # gone (every message consumed), it never comes back.
    loaded.held = {(stamp[0], stamp[1]) for stamp in waiting}
    here = _writes_of(loaded.cookies) | loaded.held if reads else set()
    loaded.reads = {r: made for r, made in reads.items() if r[1:] in here}
    for cookie in items:
        if cookie.kind != MARKS:
            continue
        if _holds(cookie, here, made_after):
            loaded.mark_cookies.append(cookie)
        else:
            loaded.garbage.append(cookie)  # every mark in it has had its day
    loaded.messages.sort(key=_entry_stamp)
    loaded.values = {e.name: e for e in sorted(winners.values(), key=_entry_stamp)}
    return loaded


def _entry_stamp(entry: Entry) -> Stamp:
    return entry.stamp


def _holds(cookie: Stored, here: set[tuple[int, str]], made_after: int) -> bool:
    """Tell whether a mark cookie holds a mark that still counts.

    A key mark counts until :data:`MARK_AGE` after it was made; a read mark
    while the writes in ``here`` include its write.
    """
    return any(mark[2] >= made_after for mark in cookie.marks) or any(
        (ms, write) in here for _, ms, write in cookie.reads
    )


def _writes_of(cookies: Iterable[Stored]) -> set[tuple[int, str]]:
    """Return the (millisecond, write id) of every entry in ``cookies``."""
    return {(e.stamp[0], e.stamp[1]) for c in cookies for e in c.entries}


# -- writing ------------------------------------------------------------


class Out:
    """A cookie a response sets: what it holds, and its signed value."""

    __slots__ = ("suffix", "kind", "entries", "marks", "reads", "value", "size")
    #: Whether the overflow policy must keep or drop it whole (a reference
    #: to a store, whose entries are not in its value).
    whole = False

    def __init__(
        self,
        suffix: str,
        kind: str,
        entries: list[Entry],
        marks: list[Mark] | None = None,
        reads: dict[Read, int] | None = None,
    ) -> None:
        self.suffix = suffix
        self.kind = kind
        self.entries = entries
        self.marks = marks or []
        self.reads = reads or {}
        self.value = ""
        self.size = 0  # bytes in the Cookie header, once encoded


class Changes:
    """What one response changes in the browser's flash cookies."""

    __slots__ = ("drop", "outs", "dropped_entries", "legacy_name")

    def __init__(self) -> None:
        self.drop: dict[str, Stored] = {}  # by cookie name
        self.outs: list[Out] = []
        self.dropped_entries = 0  # messages and values lost to the limits
        self.legacy_name: str | None = None  # a 0.1 cookie to delete


def plan(  # noqa: PLR0917 (once per response: keyword calls cost)
    mw: BaseFlashMiddleware[Any],
    loaded: Loaded,
    messages: list[Entry],
    values: dict[str, Entry],
    marks: dict[str | None, Stamp],
    consume: bool,
    write_id: str,
    now: float,
    https: bool,
    dry: bool = False,
    offload: Callable[[Changes], None] | None = None,
) -> Changes:
    """Decide which cookies a response deletes and sets.

    :param messages: the visible list messages, stored and new, oldest first.
    :param values: the visible keyed values, stored and new.
    :param marks: ``clear()`` calls of this request, by key (``None``: all).
    :param write_id: this request's write id, or ``""`` if it wrote nothing.
    :param consume: whether what was read is gone after this response.
    :param dry: raise :class:`~flashmw.FlashOverflowError` instead of
        dropping what does not fit (``on_overflow="error"``).
    :param offload: with a store (see :mod:`flashmw.store`): moves what
        does not fit inline to the store before anything is dropped.
    """
    if not marks and not values:
        changes = None
        if loaded is NOTHING and not consume:
            # With a store too: a cookie that fits has nothing to offload.
            changes = plan_first_write(mw, messages, write_id, now, https)
        elif loaded.plain:
            changes = plan_messages(
                mw,
                loaded,
                messages,
                consume,
                write_id,
                now,
                https,
                dry,
                whole=offload is not None,
            )
        if changes is not None:
            return changes
    return plan_general(
        mw, loaded, messages, values, marks, consume, write_id, now, https, dry, offload
    )


def plan_first_write(
    mw: BaseFlashMiddleware[Any],
    messages: list[Entry],
    write_id: str,
    now: float,
    https: bool,
) -> Changes | None:
    """:func:`plan_messages` for a request that carried no flash cookie.

    The commonest write (a form's POST before its redirect): every message
    is this request's own and the response consumes none, so they make one
    cookie, set into an empty jar. ``None`` when that cookie would not be
    plain text (:func:`plain_data`), or would not fit a cookie or the
    limits: :func:`plan` then makes the general plan, which splits or drops
    (and says so).
    """
    changes = Changes()
    if not messages:
        return changes
    # The request's own list, not a copy: the plan is rendered (or, for a
    # dry run, dropped) before the request can add to it.
    out = Out(f"{write_id}0", MESSAGES, messages)
    data = None
    if type(mw.serializer) is TaggedJSONSerializer:
        data = plain_data(out)
    if data is None:
        return None
    _sign(mw, out, data, now)
    if _set_size(mw, out, https) > mw.max_cookie_size or _over(
        mw, len(messages), 1, out.size
    ):
        return None
    changes.outs = [out]
    return changes


def plan_messages(  # noqa: PLR0917 (as plan)
    mw: BaseFlashMiddleware[Any],
    loaded: Loaded,
    messages: list[Entry],
    consume: bool,
    write_id: str,
    now: float,
    https: bool,
    dry: bool = False,
    *,
    whole: bool = False,
) -> Changes | None:
    """:func:`plan_general` where only list messages are in play.

    The common case: no keyed values, no marks read or made, no 0.1
    cookie. A stored cookie goes when none of its messages is left; the
    new messages make one cookie. A stored cookie of which only some
    categories were consumed needs a read mark: ``None`` says so, and
    :func:`plan` makes the general plan instead.

    :param whole: a store takes what does not fit inline: a response with
        new messages gets ``None`` (the general plan offloads). One that
        only deletes sets nothing a store could take, so it plans here.
    """
    kept: set[int] = set()  # ids of the stored cookies with a message left
    read: set[int | None] = set()  # sources of the messages consumed
    new: list[Entry] = []
    for entry in messages:
        if consume and entry.consumed:
            read.add(entry.source)
        elif entry.source is None:
            new.append(entry)
        else:
            kept.add(entry.source)
    if not kept.isdisjoint(read) or (new and whole):
        return None
    changes = Changes()
    drop = changes.drop
    for cookie in loaded.garbage:
        drop[cookie.name] = cookie
    for cookie in loaded.cookies:
        if id(cookie) not in kept:
            drop[cookie.name] = cookie
    if not new:
        if kept and drop:
            # Deletions only: the jar shrinks, but it may have been over
            # limits lowered since it was written.
            _fit(mw, loaded, changes, now, dry)
        return changes
    changes.outs = [Out(f"{write_id}0", MESSAGES, new)]
    _encode_all(mw, changes, now, https, dry)
    _fit(mw, loaded, changes, now, dry)
    return changes


def plan_general(  # noqa: PLR0917 (as plan)
    mw: BaseFlashMiddleware[Any],
    loaded: Loaded,
    messages: list[Entry],
    values: dict[str, Entry],
    marks: dict[str | None, Stamp],
    consume: bool,
    write_id: str,
    now: float,
    https: bool,
    dry: bool = False,
    offload: Callable[[Changes], None] | None = None,
) -> Changes:
    """:func:`plan` for any flash: marks, keyed values, a 0.1 cookie."""
    changes = Changes()
    count = 0

    def fresh() -> str:
        # A request that only read has no write id yet: its mark cookie
        # still needs a name no other response uses.
        nonlocal count, write_id
        if not write_id:
            write_id = new_write_id()
        count += 1
        return f"{write_id}{count - 1}"

    def alive(entry: Entry) -> bool:
        """Whether the browser still holds ``entry`` after this response."""
        return not (consume and entry.consumed)

    live_messages = {id(e) for e in messages if alive(e)}
    new_marks: list[Mark] = []
    made = int(now)
    for target, stamp in marks.items():
        new_marks.append((target, stamp, made))
    if consume:
        # A stored value shown is marked at its stamp: an older value of
        # that key still on its way can never show after it. (A value put
        # and shown by this same request writes nothing at all.)
        new_marks.extend(
            (e.name, e.stamp, made)
            for e in values.values()
            if e.consumed and e.source is not None
        )

    drop = changes.drop
    for cookie in loaded.garbage:
        drop[_key(cookie)] = cookie
    if None in marks:
        # clear() hides what a store holds for this browser, read or not.
        for cookie in loaded.waiting:
            drop[cookie.name] = cookie
    new_reads: dict[Read, int] = {}
    for cookie in loaded.cookies:
        if cookie.kind == MESSAGES:
            keep = any(id(e) in live_messages for e in cookie.entries)
            if keep and consume and not cookie.legacy:
                # Some categories consumed, some left: a read mark hides the
                # consumed ones (a read consumes whole categories).
                new_reads.update(
                    ((e.name, e.stamp[0], e.stamp[1]), made)
                    for e in cookie.entries
                    if e.consumed
                )
        else:
            keep = any(values.get(e.name) is e and alive(e) for e in cookie.entries)
        if not keep:
            drop[_key(cookie)] = cookie

    outs = changes.outs
    # The writes whose messages the browser still holds after this response.
    here = _writes_of(c for c in loaded.cookies if _key(c) not in drop)
    here |= loaded.held
    if new_marks or new_reads:
        # One mark cookie carries this request's marks and every live mark
        # it read, which it replaces.
        merged: dict[str | None, Mark] = dict(loaded.marks)
        for mark in new_marks:
            current = merged.get(mark[0])
            if current is None or mark[1] >= current[1]:
                merged[mark[0]] = mark
        everything = merged.get(None, (None, _NO_STAMP, 0))[1]
        kept = [m for m in merged.values() if m[0] is None or m[1] > everything]
        reads = {
            r: made
            for r, made in (*loaded.reads.items(), *new_reads.items())
            if r[1:] in here
        }
        outs.append(Out(fresh(), MARKS, [], kept, reads))
        for cookie in loaded.mark_cookies:
            drop[cookie.name] = cookie
    else:
        # A mark cookie whose read marks name only the cookies this
        # response deletes goes with them (one of key marks only expires).
        for cookie in loaded.mark_cookies:
            if cookie.reads and not _holds(cookie, here, made - MARK_AGE):
                drop[cookie.name] = cookie
    new = [e for e in messages if e.source is None and alive(e)]
    if new:
        outs.append(Out(fresh(), MESSAGES, new))
    new_values = [e for e in values.values() if e.source is None and alive(e)]
    if new_values:
        outs.append(Out(fresh(), VALUES, new_values))

    legacy = [c for c in (*loaded.cookies, *loaded.garbage) if c.legacy]
    if legacy and (outs or drop):
        _convert_legacy(loaded, changes, legacy[0].name)
    if not outs and not drop:
        return changes
    _encode_all(mw, changes, now, https, dry, split=offload is None)
    if offload is not None:
        offload(changes)
    _fit(mw, loaded, changes, now, dry)
    return changes


def _key(cookie: Stored) -> str:
    if cookie.legacy:
        return f"{cookie.name}#{cookie.entries[0].stamp[2]}"
    return cookie.name


def _convert_legacy(loaded: Loaded, changes: Changes, name: str) -> None:
    """Rewrite the surviving parts of a 0.1 cookie into this layout.

    The names depend only on the old cookie's content, so two requests
    that convert it at once write the same cookies.
    """
    changes.legacy_name = name
    survivors = [c for c in loaded.cookies if c.legacy and _key(c) not in changes.drop]
    groups: dict[str, list[Entry]] = {}  # by kind: as one write of this layout
    for cookie in survivors:
        groups.setdefault(cookie.kind, []).append(cookie.entries[0])
    for kind, entries in groups.items():
        ms, _, seq = entries[0].stamp
        changes.outs.append(Out(f"L{ms:x}{kind}{seq}", kind, entries))
    for key in [k for k, c in changes.drop.items() if c.legacy]:
        del changes.drop[key]


def _encode_all(
    mw: BaseFlashMiddleware[Any],
    changes: Changes,
    now: float,
    https: bool,
    dry: bool,
    *,
    split: bool = True,
) -> None:
    """Sign every cookie to set, splitting those that are too big.

    With ``split=False`` (a store takes what is too big) they are kept whole.
    """
    encoded: list[Out] = []
    pending = list(reversed(changes.outs))
    while pending:
        out = pending.pop()
        _encode(mw, out, now)
        if not out.entries and not out.marks and not out.reads:
            continue  # everything in it was left out (see _encode)
        size = _set_size(mw, out, https)
        if size <= mw.max_cookie_size or not split:
            encoded.append(out)
            continue
        if dry:
            raise FlashOverflowError(
                f"a flash cookie would take {size} bytes, more than "
                f"max_cookie_size={mw.max_cookie_size}"
            )
        if len(out.entries) > 1:
            half = len(out.entries) // 2
            pending.append(Out(out.suffix + "b", out.kind, out.entries[half:]))
            pending.append(Out(out.suffix + "a", out.kind, out.entries[:half]))
        else:
            # A single message larger than a cookie: it cannot be kept.
            changes.dropped_entries += len(out.entries)
    changes.outs = encoded


def _encode(mw: BaseFlashMiddleware[Any], out: Out, now: float) -> None:
    data = None
    if type(mw.serializer) is TaggedJSONSerializer and out.kind != MARKS:
        data = plain_data(out)
    _sign(mw, out, _dumps(mw, out) if data is None else data, now)


def _sign(mw: BaseFlashMiddleware[Any], out: Out, data: bytes, now: float) -> None:
    """Set ``out``'s signed value for ``data``, and its size in the Cookie header."""
    out.value = mw._signer.sign(data, now)
    out.size = len(mw.cookie_name) + 1 + len(out.suffix) + 1 + len(out.value) + 2


def _set_size(mw: BaseFlashMiddleware[Any], out: Out, https: bool) -> int:
    """Return the bytes of the ``Set-Cookie`` header that sets ``out``."""
    name_length = len(mw.cookie_name) + 1 + len(out.suffix)
    return mw._writers[https].size(name_length, len(out.value))


def _dumps(mw: BaseFlashMiddleware[Any], out: Out) -> bytes:
    """Encode ``out``'s document with the middleware's serializer."""
    try:
        return mw.serializer.dumps(_document(out))
    except Exception:  # noqa: BLE001 (any serializer's error)
        # Leave out, with a WARNING each, the entries that no longer encode;
        # once is enough: what is left encodes one by one.
        pairs = [(e.name, e.value) for e in out.entries]
        kept = {id(value) for _, value in mw._encodable(pairs)}
        out.entries = [e for e in out.entries if id(e.value) in kept]
        return mw.serializer.dumps(_document(out))


def _document(out: Out) -> list[Any]:
    """Return the document :func:`decode` reads back as ``out``."""
    if out.kind == MARKS:
        entries: list[Any] = [
            [target or "", _EVERYTHING if target is None else _KEY]
            for target, _, _ in out.marks
        ]
        stamps: list[Any] = [[*stamp, made] for _, stamp, made in out.marks]
        for (category, ms, write), made in out.reads.items():
            entries.append([category, _READ])
            stamps.append([ms, write, 0, made])
    else:
        # One request wrote them all (see decode): one time and write id.
        entries = []
        seqs = []
        for entry in out.entries:
            entries.append([entry.name, entry.value])
            seqs.append(entry.stamp[2])
        ms, write, _ = out.entries[0].stamp if out.entries else _NO_STAMP
        stamps = [[ms, write], seqs]
    return [entries, [[out.kind, [out.suffix, stamps]]]]


def plain_data(out: Out) -> bytes | None:
    """Return ``TaggedJSONSerializer().dumps(_document(out))``, the short way.

    For a cookie of list messages or keyed values whose values are all
    ``str`` (the common case); ``None`` for any other. The text goes
    through json's encoder, and the stamps are written as they are: they
    are this layout's own ints and base64url write ids, which JSON writes
    unchanged. Skips building the document and the serializer's check of
    what needs a tag.
    """
    pairs = []
    seqs = []
    for entry in out.entries:
        if type(entry.value) is not str:
            return None
        pairs.append([entry.name, entry.value])
        seqs.append(str(entry.stamp[2]))
    if not pairs:
        return None
    ms, write, _ = out.entries[0].stamp
    meta = f'"{out.kind}",["{out.suffix}",[[{ms},"{write}"],[{",".join(seqs)}]]]'
    try:
        return f"[{text_pairs_json(pairs)},[[{meta}]]]".encode()
    except UnicodeEncodeError:
        return None  # a lone surrogate: the general path leaves it out


def _drop_order(item: Stored | Out) -> tuple[bool, Stamp]:
    return (item.kind != MESSAGES, item.entries[0].stamp)


def _over(mw: BaseFlashMiddleware[Any], entries: int, cookies: int, size: int) -> bool:
    """Tell whether a jar of that many entries, cookies and bytes is over a limit."""
    return (
        entries > mw.max_messages
        or cookies > mw.max_cookies
        or size > mw.max_total_size
    )


def _fits_alone(mw: BaseFlashMiddleware[Any], loaded: Loaded, outs: list[Out]) -> bool:
    """Tell whether the one cookie a response sets, into an empty jar, fits.

    The common first write, told without collecting the jar: :func:`_fit`'s
    shortcut. ``False`` only sends the answer to the general count.
    """
    return (
        len(outs) == 1
        and not (loaded.cookies or loaded.mark_cookies or loaded.waiting)
        and not _over(mw, len(outs[0].entries), 1, outs[0].size)
    )


def _fit(
    mw: BaseFlashMiddleware[Any],
    loaded: Loaded,
    changes: Changes,
    now: float,
    dry: bool,
) -> None:
    """Drop the oldest entries until the browser's jar fits every limit."""
    if _fits_alone(mw, loaded, changes.outs):
        return
    drop = changes.drop
    live: list[Stored | Out] = []
    for group in (loaded.cookies, loaded.mark_cookies, loaded.waiting):
        for cookie in group:
            # A 0.1 cookie is never kept beside changes: plan() converted it.
            if not cookie.legacy and cookie.name not in drop:
                live.append(cookie)
    live += changes.outs
    cookies = len(live)
    size = entries = 0
    for item in live:
        size += item.size
        entries += len(item.entries)
    if not _over(mw, entries, cookies, size):
        return
    if dry:
        raise FlashOverflowError(
            f"the flash would hold {entries} entries in {cookies} cookies of "
            f"{size} bytes: more than max_messages={mw.max_messages}, "
            f"max_cookies={mw.max_cookies} or max_total_size={mw.max_total_size}"
        )
    while _over(mw, entries, cookies, size):
        droppable = [item for item in live if item.entries]
        if not droppable:
            return  # marks alone: they expire within MARK_AGE
        # List messages go first, then keyed values: each oldest first.
        oldest = min(droppable, key=_drop_order)
        changes.dropped_entries += 1
        entries -= 1
        size -= oldest.size
        if isinstance(oldest, Out) and len(oldest.entries) > 1 and not oldest.whole:
            # A cookie this response writes loses its oldest entry only.
            del oldest.entries[0]
            _encode(mw, oldest, now)
            size += oldest.size
            continue
        live.remove(oldest)
        cookies -= 1
        changes.dropped_entries += len(oldest.entries) - 1
        entries -= len(oldest.entries) - 1
        if isinstance(oldest, Stored):
            drop[oldest.name] = oldest
        else:
            changes.outs.remove(oldest)
