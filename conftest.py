"""`pytest --benchmark` and `pytest --faults`: the project's own switches for long tests.

pytest-benchmark has no option of this name (its own are all `--benchmark-*`, left untouched here). A benchmark test
is any test that uses the `benchmark` fixture or carries the `slow` marker: skipped by default, run with `--benchmark`,
which also saves pytest-benchmark's JSON under results/benchmarks/. A test marked `faults` (the fault sweep,
tests/faults/) is skipped by default and run with `--faults`.
"""
from __future__ import annotations

from pathlib import Path

import pytest

RESULTS = Path(__file__).parent / "results" / "benchmarks"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--benchmark",
        action="store_true",
        default=False,
        help="run the benchmark tests and long sweeps (skipped otherwise); JSON is saved under results/benchmarks/",
    )
    parser.addoption("--faults", action="store_true", default=False,
                     help="run the fault sweep (tests/faults/: kills, races, damaged files, hostile inputs; minutes)")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--benchmark"):
        return
    opt = config.option
    # Save every benchmarked run unless the user chose otherwise with the plugin's own flags.
    if hasattr(opt, "benchmark_autosave") and not getattr(opt, "benchmark_save", None) and not opt.benchmark_autosave:
        # The plugin's own autosave value is a tag (commit_time[_uncommited-changes]) naming the file; `True` would
        # name every file NNNN_True.json.
        from pytest_benchmark.utils import get_tag

        opt.benchmark_autosave = get_tag()
    if hasattr(opt, "benchmark_storage") and str(getattr(opt, "benchmark_storage", "")).endswith(".benchmarks"):
        opt.benchmark_storage = f"file://{RESULTS}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--faults"):
        for item in items:
            if item.get_closest_marker("faults"):
                item.add_marker(pytest.mark.skip(reason="fault sweep: run with `pytest --faults`"))
    if config.getoption("--benchmark"):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `pytest --benchmark`")
    for item in items:
        if "benchmark" in getattr(item, "fixturenames", ()) or item.get_closest_marker("slow"):
            item.add_marker(skip)


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    """Add what a speed figure depends on beyond pytest-benchmark's CPU line: GPU, framework versions, threads."""
    from bench.meta import gpu_info, package_versions, thread_settings

    versions = package_versions()
    machine_info["gpu"] = gpu_info(with_gpu=True)
    machine_info["packages"] = versions
    for name in ("torch", "transformers", "numba"):
        machine_info[f"{name}_version"] = versions.get(name)
    machine_info["threads"] = thread_settings()
