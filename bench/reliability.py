"""Reliability report: bad inputs tried and faults injected, and whether kabar stayed correct.

    python bench/reliability.py

Runs the test suite's fault scenarios (they are the real checks: each one verifies that the
index still opens and holds what it held, and that answers stay correct) and prints one line a
scenario with its outcome. Writes bench/results/reliability.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCENARIOS = {
    "bad input": [
        "tests/test_read.py",
        "tests/test_ingest.py::test_bad_files_are_reported_and_the_rest_ingested",
        "tests/test_faults.py::test_special_and_oversized_files_get_per_file_errors",
        "tests/test_faults.py::test_a_folder_of_thousands_of_files_is_ingested",
        "tests/test_properties.py",
        "tests/test_api.py::test_malformed_requests_get_a_4xx_with_a_message",
        "tests/test_search.py::test_bad_questions_get_a_clear_error",
        "tests/test_answer.py::test_malformed_history_is_refused",
    ],
    "fault": [
        "tests/test_faults.py::test_an_ingest_killed_midway_leaves_an_index_that_opens_and_completes",
        "tests/test_faults.py::test_a_second_writer_gets_a_clear_error_and_the_index_stays_intact",
        "tests/test_faults.py::test_readers_keep_working_while_another_process_writes",
        "tests/test_answer.py::test_provider_errors_end_in_a_clear_message",
        "tests/test_answer.py::test_a_slow_provider_times_out_instead_of_hanging",
        "tests/test_answer.py::test_refused_connection_falls_back_to_the_configured_model",
        "tests/test_api.py::test_a_failing_model_gives_a_502_with_a_message",
        "tests/test_ui.py::test_a_failing_model_gives_a_readable_error_and_the_app_keeps_serving",
        "tests/test_ingest.py::test_an_index_built_with_another_embedder_is_refused",
    ],
    "security": [
        "tests/test_faults.py::test_listening_beyond_localhost_needs_a_key",
        "tests/test_api.py::test_api_key_is_required_when_set",
        "tests/test_ingest.py::test_uploaded_article_is_searchable_at_once",
        "tests/test_ui.py::test_uploaded_article_is_found_by_a_question_and_shown_escaped",
        "tests/test_faults.py::test_an_article_that_gives_orders_is_treated_as_data",
    ],
}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, targets in SCENARIOS.items():
            report = Path(tmp) / f"{kind}.xml"
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    f"--junitxml={report}",
                    *targets,
                ],
                cwd=ROOT,
                capture_output=True,
            )
            for case in ET.parse(report).getroot().iter("testcase"):
                failed = case.find("failure") is not None or case.find("error") is not None
                rows.append(
                    {
                        "kind": kind,
                        "scenario": case.get("name", ""),
                        "ok": not failed,
                        "seconds": float(case.get("time", 0)),
                    }
                )
    width = max(len(r["scenario"]) for r in rows)
    for row in rows:
        print(f"{row['kind']:<10} {row['scenario']:<{width}}  {'ok' if row['ok'] else 'FAILED'}")
    passed = sum(r["ok"] for r in rows)
    print(f"{passed} passed, {len(rows) - passed} failed")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "reliability.json").write_text(json.dumps(rows, indent=2))
    sys.exit(0 if passed == len(rows) else 1)


if __name__ == "__main__":
    main()
