"""Results the cascade derives once per parent and reuses for each of its children.

A committee's departments are drafted one after another from the same plan object, and much
of what each derives depends only on that plan and the committee (the annex rows with the
department level's deadlines, the bodies above the committee), not on the department. Plans
and units are immutable but deep, so hashing them costs more than the work saved; the few
most recent results are kept by the *identity* of their arguments instead, with the
arguments held so that no id is reused while its entry lives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

#: Entries kept per function: a depth-first walk holds at most one plan per level on its
#: path (five levels at most), so a few more than that never evict the parent being used.
SIZE = 16


def by_identity(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` memoised on the identity of its positional arguments (see the module)."""
    kept: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], R]] = OrderedDict()
    lock = threading.Lock()  # the flow drafts in threads too

    @wraps(fn)
    def memoised(*args: P.args, **kwargs: P.kwargs) -> R:
        assert not kwargs, "by_identity takes positional arguments only"
        key = tuple(map(id, args))
        with lock:
            hit = kept.get(key)
            if hit is not None:
                kept.move_to_end(key)
                return hit[1]
        result = fn(*args, **kwargs)
        with lock:
            kept[key] = (args, result)
            if len(kept) > SIZE:
                kept.popitem(last=False)
        return result

    return memoised
