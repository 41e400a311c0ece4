"""Choose the gaps report's distance threshold on the seeded *tune* log; measure it on the *test* log.

    .venv/bin/python benchmarks/tune_gaps.py [--min 0.3 --max 0.85 --step 0.025]

Both logs plant questions about three topics the documents miss among golden-set questions
(tests/gaplog.py); they share no planted topic and no background question. For each threshold
it prints, on the tune log, the pairwise F1 of "same topic" over pairs with a planted question
(background pairs are not scored: golden questions about one document may rightly group) and
how many planted topics came out as one pure group (>= 80% of the topic in it, >= 90% of it
from the topic). The threshold with the best tune F1 is then measured once on the test log.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the seeded logs live beside the tests that use them

from gaplog import write_log  # noqa: E402

from core.pii import redact_text  # noqa: E402
from core.settings import GapsSettings, Settings, set_offline_environment  # noqa: E402
from ui.gaps.cluster import groups, topic_vectors  # noqa: E402
from ui.gaps.log import read_signals  # noqa: E402
from ui.gaps.report import merge_signals  # noqa: E402


def planted_labels(kind: str, folder: Path) -> tuple[list[str], list[str]]:
    """The merged questions of a seeded log (as the report sees them) and their planted topics."""
    database = folder / f"{kind}.sqlite3"
    planted = write_log(database, kind)
    topic_of = {redact_text(q): t for q, t in planted.questions}
    settings = GapsSettings()
    asked = merge_signals(
        read_signals(database, followup_window_s=settings.followup_window_s),
        settings.merge_window_s,
    )
    return [q.text for q in asked], [topic_of.get(q.question, "") for q in asked]


def score(labels: list[int], truth: list[str], min_size: int) -> tuple[float, int]:
    sizes = Counter(labels)
    predicted = [label if sizes[label] >= min_size else -1 - i for i, label in enumerate(labels)]
    tp = fp = fn = 0
    for i in range(len(truth)):
        for j in range(i + 1, len(truth)):
            if not truth[i] and not truth[j]:
                continue
            same_truth = bool(truth[i]) and truth[i] == truth[j]
            same_pred = predicted[i] == predicted[j]
            tp += same_truth and same_pred
            fp += same_pred and not same_truth
            fn += same_truth and not same_pred
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    recovered = 0
    for topic in {t for t in truth if t}:
        members = [predicted[i] for i, t in enumerate(truth) if t == topic]
        best, held = Counter(members).most_common(1)[0]
        group = [truth[i] for i, p in enumerate(predicted) if p == best]
        recovered += held >= 0.8 * len(members) and group.count(topic) >= 0.9 * len(group)
    return f1, recovered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=0.30)
    parser.add_argument("--max", type=float, default=0.85)
    parser.add_argument("--step", type=float, default=0.025)
    args = parser.parse_args()
    set_offline_environment()
    from index.embedding import load_embedder

    settings = Settings()
    embedder = load_embedder(settings.embed_model)
    with tempfile.TemporaryDirectory() as tmp:
        logs = {kind: planted_labels(kind, Path(tmp)) for kind in ("tune", "test", "holdout")}
    vectors = {kind: topic_vectors(embedder, texts) for kind, (texts, _) in logs.items()}
    min_size = settings.gaps.min_topic_size
    print(", ".join(f"{kind} log: {len(texts)} questions" for kind, (texts, _) in logs.items()))
    print("threshold  tune_F1  tune_topics_recovered(of 3)  groups")
    results = []
    steps = int(round((args.max - args.min) / args.step)) + 1
    for k in range(steps):
        t = round(args.min + k * args.step, 4)
        labels = _labels(vectors["tune"], t)
        f1, recovered = score(labels, logs["tune"][1], min_size)
        big = sum(1 for c in Counter(labels).values() if c >= min_size)
        results.append((f1, recovered, t))
        print(f"{t:9.3f}  {f1:7.3f}  {recovered:27d}  {big:6d}")
    f1, recovered, chosen = max(results, key=lambda r: (r[0], r[1], -r[2]))
    test_f1, test_recovered = score(_labels(vectors["test"], chosen), logs["test"][1], min_size)
    print(f"\nchosen on the tune log: {chosen:.3f} (tune F1 {f1:.3f}, {recovered}/3 topics)")
    print(f"measured on the test log at {chosen:.3f}: F1 {test_f1:.3f}, {test_recovered}/3 topics")
    hold_f1, hold_recovered = score(
        _labels(vectors["holdout"], chosen), logs["holdout"][1], min_size
    )
    print(
        f"measured on the holdout log at {chosen:.3f}: F1 {hold_f1:.3f}, {hold_recovered}/3 topics"
    )
    current = settings.gaps.distance_threshold
    cur_f1, cur_rec = score(_labels(vectors["test"], current), logs["test"][1], min_size)
    print(f"the setting in core/settings.py ({current}): test F1 {cur_f1:.3f}, {cur_rec}/3 topics")


def _labels(vectors, threshold: float) -> list[int]:
    labels = [0] * len(vectors)
    for n, group in enumerate(groups(vectors, threshold)):
        for i in group.members:
            labels[i] = n
    return labels


if __name__ == "__main__":
    main()
