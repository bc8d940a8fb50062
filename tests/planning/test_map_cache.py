"""The planner's map cache (issue 13 point 8): a map is used only with the registry it was
drawn from, the cache is bounded, and threads sharing it never see another key's map."""

from __future__ import annotations

import threading

from app.pages.planner import MapCache


class Registry:
    """Stands in for a loaded registry: only its identity matters to the cache."""


def test_a_map_is_used_only_with_the_registry_it_was_drawn_from() -> None:
    cache = MapCache(4)
    before, after = Registry(), Registry()
    cache.put("q=1|ko", before, "map drawn before the reload")
    assert cache.get("q=1|ko", before) == "map drawn before the reload"
    assert cache.get("q=1|ko", after) is None  # reloaded: drawn again
    cache.put("q=1|ko", after, "map drawn after")
    assert cache.get("q=1|ko", after) == "map drawn after"
    assert cache.get("q=1|ko", before) is None


def test_the_cache_keeps_at_most_its_size_least_recently_used_first_out() -> None:
    cache = MapCache(2)
    registry = Registry()
    cache.put("a", registry, 1)
    cache.put("b", registry, 2)
    assert cache.get("a", registry) == 1  # a is now the most recently used
    cache.put("c", registry, 3)
    assert cache.get("b", registry) is None
    assert (cache.get("a", registry), cache.get("c", registry)) == (1, 3)


def test_threads_sharing_the_cache_each_read_their_own_key() -> None:
    cache = MapCache(8)
    registry = Registry()
    wrong: list[tuple[int, object]] = []

    def work(n: int) -> None:
        for i in range(2000):
            key = f"{n}-{i % 16}"
            cache.put(key, registry, key)
            got = cache.get(key, registry)
            if got is not None and got != key:
                wrong.append((n, got))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
