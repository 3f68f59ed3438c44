"""A small run of the labelled dedup benchmark (`bench/dedup_quality.py`):
every kind of syndicated copy is found, and no two different articles are
merged, neither by the index-and-verify rule nor through the store."""

from __future__ import annotations

import pytest

from bench.dedup_quality import (
    Wirecrawl,
    detect,
    labelled_copies,
    originals,
    through_store,
)
from crawler.ingest.dedup import DedupConfig
from tests.sampleweb.copies import KINDS

MIN_RECALL = 0.95  # measured: 1.00 for every kind (bench: 20 copies per original and kind)


def _check_detection(origs, per_kind: int, seed: int) -> None:
    result = detect(Wirecrawl(DedupConfig()), origs, labelled_copies(origs, per_kind, seed))
    for kind, (hits, right, total) in result["kinds"].items():
        assert right / total >= MIN_RECALL, f"{kind}: {right}/{total} copies found their original"
        assert hits == right, f"{kind}: {hits - right} copies matched a different article"
    assert result["false_pairs"] == [], [(origs[i].name, origs[j].name) for i, j in result["false_pairs"]]


def test_our_articles_copies_are_found_and_same_event_articles_kept_apart():
    origs = originals(None)
    assert {o.group for o in origs} >= {"own:halvern-port-strike", "own:ostra-flood"}
    _check_detection(origs, per_kind=3, seed=11)


def test_seed_articles_copies_are_found_and_the_seeds_kept_apart(seeds_dir):
    origs = [o for o in originals(seeds_dir) if o.group == "seed"]
    assert len(origs) >= 5
    _check_detection(origs, per_kind=3, seed=12)


@pytest.mark.parametrize("seed", [21])
def test_through_the_store_in_shuffled_order_every_copy_joins_its_original(seed):
    origs = originals(None)
    result = through_store(origs, labelled_copies(origs, 2, seed), DedupConfig(), seed)
    for kind in KINDS:
        right, total = result["kinds"][kind]
        assert right == total, f"{kind}: {right}/{total} copies in their original's cluster"
    assert result["mixed"] == []
    assert result["canonical_right"] == len(origs)  # each original stands for its cluster
