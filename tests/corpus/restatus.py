"""Re-derive the corpus statuses from what symgd does now (a maintenance script, not a test).

Run from the repository root: ``python tests/corpus/restatus.py`` (``--dry-run`` only prints).

For every known failure (``known_refusal`` / ``known_misreading``) the entry is checked again:

* it now matches its reference → its ``status`` and ``gap`` are dropped (supported);
* it gives a wrong answer → ``known_misreading``, with the harness's message as the gap (look at it:
  a refusal that became a misreading is a new silent wrong answer to fix, not a status to record);
* it raises a SymgdError → ``known_refusal``; the gap is refreshed when the message changed.

An ``unsupported`` entry with a gap (an xfail: its error does not yet name the construct) loses the
gap once its UnsupportedError (or AmbiguityError) names the construct. Supported entries are not touched: the tests
check them. Entries are rewritten in place in ``tests/corpus/*.py``; review the diff before committing.
"""

from __future__ import annotations

import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import symgd  # noqa: E402
from corpus import ENTRIES  # noqa: E402
from corpus.entry import MISREADING, REFUSAL, SUPPORTED, UNSUPPORTED, Entry  # noqa: E402
from corpus.harness import check_entry, parse  # noqa: E402
from symgd.errors import AmbiguityError, SymgdError, UnsupportedError  # noqa: E402

CORPUS = pathlib.Path(__file__).resolve().parent
STRING = r"""(?:\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))+"""   # one or more adjacent string literals
GAP_LENGTH = 160


def _message(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error)[:GAP_LENGTH]}"


def known_failure_now(item: Entry) -> tuple[str, str | None] | None:
    """The new (status, gap) of a known failure, or None when nothing changed."""
    try:
        check_entry(item)
    except AssertionError as error:
        if item.status == MISREADING:
            return None
        return MISREADING, f"now read wrongly: {str(error)[:GAP_LENGTH]}"
    except SymgdError as error:
        current = _message(error)
        if item.status == REFUSAL and item.gap and item.gap.startswith(current[:40]):
            return None
        return REFUSAL, current
    return SUPPORTED, None


def unsupported_now_named(item: Entry) -> bool:
    """True when an unsupported entry's error now names its construct."""
    try:
        symgd.gradient(parse(item))
    except (UnsupportedError, AmbiguityError) as error:
        return bool(re.search(item.construct, str(error)))
    except Exception:   # noqa: BLE001 - any other outcome keeps the xfail
        return False
    return False


def changes() -> dict[str, tuple[str, str | None]]:
    """entry id -> (new status, new gap) for every entry whose status or gap no longer holds."""
    out = {}
    for item in ENTRIES:
        if item.status in (MISREADING, REFUSAL):
            new = known_failure_now(item)
            if new is not None:
                out[item.id] = new
        elif item.status == UNSUPPORTED and item.gap and unsupported_now_named(item):
            out[item.id] = (UNSUPPORTED, None)
    return out


def _entry_span(text: str, entry_id: str) -> tuple[int, int] | None:
    start = text.find(f'entry("{entry_id}",')
    if start < 0:
        return None
    ends = [text.find(marker, start + 1) for marker in ("\n    entry(", "\n]", "\n    #")]
    return start, min(end for end in ends if end > 0)


def rewrite(text: str, entry_id: str, status: str, gap: str | None) -> str:
    """The module text with one entry's status and gap replaced."""
    span = _entry_span(text, entry_id)
    if span is None:
        return text
    start, end = span
    body = re.sub(r",\s*status=(?:MISREADING|REFUSAL)", "", text[start:end])
    body = re.sub(r",\s*gap=" + STRING, "", body)
    if status in (MISREADING, REFUSAL):
        body = body.rstrip().rstrip(",").rstrip()
        assert body.endswith(")"), entry_id
        name = "MISREADING" if status == MISREADING else "REFUSAL"
        body = body[:-1] + f",\n          status={name}, gap={gap!r}),"
    return text[:start] + body + text[end:]


def main(argv: list[str]) -> None:
    """Print the changes and (without --dry-run) write them into the corpus modules."""
    found = changes()
    for entry_id, (status, gap) in sorted(found.items()):
        print(f"{entry_id}: {status}" + (f" ({gap})" if gap else ""))
    statuses = [found.get(item.id, (item.status, None))[0] for item in ENTRIES]
    print(", ".join(f"{status}: {statuses.count(status)}" for status in (SUPPORTED, REFUSAL, UNSUPPORTED, MISREADING)))
    if "--dry-run" in argv:
        return
    for path in sorted(CORPUS.glob("*.py")):
        text = original = path.read_text()
        for entry_id, (status, gap) in found.items():
            text = rewrite(text, entry_id, status, gap)
        if text != original:
            path.write_text(text)
            print("rewrote", path.relative_to(CORPUS.parents[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
