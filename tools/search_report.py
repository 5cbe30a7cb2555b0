"""How well the topic search does on the phrase set in tests/data/search_phrases.json (or another
file of the same shape): top-1 and top-3 by tag, the misses, and the emergency phrases.

    .venv/bin/python tools/search_report.py [path/to/phrases.json] [--misses]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anima_pwa.services.questionnaires import topic_search  # noqa: E402
from anima_pwa.services.questionnaires.emergencies import emergency_advice  # noqa: E402

URGENCY = {"111": 1, "crisis": 2, "999": 3}


def report(path: Path, show_misses: bool) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    total, first, three = Counter(), Counter(), Counter()
    misses = []
    for case in data.get("topics", []):
        ids = [m.topic.id for m in topic_search.rank(case["q"], kind=case["kind"], is_child=case["child"])]
        for tag in ["all", *case.get("tags", [])]:
            total[tag] += 1
            first[tag] += bool(ids) and ids[0] == case["topic"]
            three[tag] += case["topic"] in ids[:3]
        if not ids or ids[0] != case["topic"]:
            misses.append((case["q"], case["kind"], case["topic"], ids[:3]))
    for tag in total:
        print(
            f"{tag:7} n={total[tag]:3}  top-1 {100 * first[tag] / total[tag]:5.1f}%  top-3 {100 * three[tag] / total[tag]:5.1f}%"
        )
    wrong = []
    for case in data.get("emergency", []):
        advice = emergency_advice(case["q"])
        ok = advice is not None and (
            advice.code == case["advice"]
            or (case["advice"] == "111" and advice.code in ("999", "crisis"))
            or (case["advice"] == "crisis" and advice.code == "999" and "crisis" in advice.reasons)
        )
        if not ok:
            wrong.append((case["q"], case["advice"], advice and advice.code))
    emergencies = len(data.get("emergency", []))
    print(f"emergency phrases with the right advice: {emergencies - len(wrong)}/{emergencies}")
    false = [q for q in data.get("not_emergency", []) + data.get("not_emergency_tuning", []) if emergency_advice(q)]
    false += [c["q"] for c in data.get("topics", []) if emergency_advice(c["q"])]
    print(f"ordinary phrases given emergency advice: {len(false)}")
    if show_misses:
        for miss in misses:
            print("MISS", miss)
        for item in wrong:
            print("EMERGENCY MISSED", item)
        for item in false:
            print("FALSE ALARM", item, emergency_advice(item).reasons)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    report(
        Path(args[0]) if args else Path(__file__).resolve().parent.parent / "tests/data/search_phrases.json",
        "--misses" in sys.argv,
    )
