"""What planning reads of a rulebook on every plan, worked out once per rulebook: the catalogue's
entries by need area, those with contracts or companions, each entry's place in the catalogue.

Planning is handed plain dicts (catalogue, rules) and frozen records (policy, vocabulary); what is
derived from them is kept here, keyed on those very objects (by identity), so that a plan touches
only the entries that could matter to it and never re-reads the whole catalogue.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from matcher.model.catalogue import Contract, Intervention

T = TypeVar("T")

_KEPT = 16  # derived values kept: a few per rulebook loaded at once (reloads, variants in tests)
_lock = threading.Lock()
_cache: OrderedDict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = OrderedDict()


def cached(kind: str, owners: tuple[object, ...], build: Callable[[], T]) -> T:
    """``build()``, made once for these ``owners`` (the very objects, never copies): the cache
    holds them, so while an entry is kept no other object can take their ids."""
    key = (kind, *(id(o) for o in owners))
    with _lock:
        entry = _cache.get(key)
        if entry is not None and all(a is b for a, b in zip(entry[0], owners, strict=True)):
            _cache.move_to_end(key)
            found: T = entry[1]
            return found
    value = build()
    with _lock:
        _cache[key] = (owners, value)
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return value


class CatalogueIndex:
    """Lookups over one catalogue, each in the catalogue's own order."""

    def __init__(self, catalogue: dict[str, Intervention]) -> None:
        entries = self.entries = tuple(catalogue.values())
        self.position = {i.id: n for n, i in enumerate(entries)}
        self.alphabetical = {key: n for n, key in enumerate(sorted(self.position))}
        by_area: dict[str, list[Intervention]] = {}
        for intervention in entries:
            for area in dict.fromkeys(intervention.needs):
                by_area.setdefault(area, []).append(intervention)
        self.by_area = {area: tuple(found) for area, found in by_area.items()}
        self._area_ids = {area: frozenset(i.id for i in found) for area, found in by_area.items()}
        self.needs = {i.id: frozenset(i.needs) for i in entries}
        self.contracted = tuple(i for i in entries if i.contracts)
        # (host, companion) for every catalogue companion, hosts in order
        self.alongside = tuple(
            (host, catalogue[other]) for host in entries for other in host.alongside
        )
        self.not_if_accredited = tuple(
            i for i in entries if i.eligibility.not_if_accredited_suitable
        )
        self._kinds: dict[str, frozenset[str]] = {}
        self._covering: dict[tuple[str, str | None], Any] = {}

    def of_area(self, area: str) -> tuple[Intervention, ...]:
        return self.by_area.get(area, ())

    def area_ids(self, area: str) -> frozenset[str]:
        return self._area_ids.get(area, frozenset())

    def kind_ids(self, kind: str) -> frozenset[str]:
        found = self._kinds.get(kind)
        if found is None:
            found = self._kinds[kind] = frozenset(i.id for i in self.entries if i.kind == kind)
        return found

    def covering(
        self, region: str, pdu: str | None
    ) -> tuple[tuple[Intervention, tuple[Contract, ...]], ...]:
        """Each contracted entry with the contracts covering someone in ``region`` (and ``pdu``),
        in catalogue order; entries none covers left out (worked out once per place)."""
        key = (region, pdu)
        found = self._covering.get(key)
        if found is None:
            found = tuple(
                (i, covering)
                for i in self.contracted
                if (covering := tuple(c for c in i.contracts if c.covers(region, pdu)))
            )
            self._covering[key] = found
        return found

    def in_order(self, ids: AbstractSet[str]) -> list[str]:
        """``ids`` that are in the catalogue, in its order."""
        position = self.position
        return sorted(position.keys() & ids, key=position.__getitem__)


def catalogue_index(catalogue: dict[str, Intervention]) -> CatalogueIndex:
    return cached("catalogue", (catalogue,), lambda: CatalogueIndex(catalogue))
