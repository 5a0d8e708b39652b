"""How the tests run: plain `pytest` checks everything once, untimed; `pytest --benchmark` runs the benchmarks, timed.

- plain `pytest` (what CI runs): every test. The benchmark tests (those using pytest-benchmark's `benchmark` fixture)
  run with timing off, the plugin's disabled mode (`benchmark.disabled` is True; `benchmark(f)` and
  `benchmark.pedantic(f)` call f once), so their correctness asserts run; each picks a CI-sized workload when
  `benchmark.disabled`. A long sweep (marker `slow`) runs a CI-sized slice (the `full_sweep` fixture is False).
- `pytest --benchmark`: only the benchmark tests and the long sweeps (`slow`), the rest deselected; timing on, full
  sizes, and pytest-benchmark's JSON saved as results/benchmarks/<machine>/NNNN_<commit>_<time>.json (the benchmark
  modules write their summaries beside it: isa_summary.md, isa_batch_summary.md).
- pytest-benchmark's own flags keep their meaning: `--benchmark-only` runs only the `benchmark` tests, timed (saved
  only with `--benchmark-autosave` or `--benchmark-save`, into results/benchmarks/ as well); `--benchmark-skip` skips
  them; `--benchmark-enable` times them inside a plain run; `--benchmark --benchmark-disable` runs the benchmark
  selection at CI size, untimed.
- `pytest --faults`: the fault sweep (tests/faults/, marker `faults`: kills, races, damaged files, hostile inputs;
  minutes), skipped otherwise.
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
        help="run only the benchmark tests and the long sweeps, timed at full size; JSON is saved under "
             "results/benchmarks/ (plain pytest runs the benchmark tests once, untimed, at CI size)",
    )
    parser.addoption("--faults", action="store_true", default=False,
                     help="run the fault sweep (tests/faults/: kills, races, damaged files, hostile inputs; minutes)")


def timing_asked(config: pytest.Config) -> bool:
    """Whether the user asked for timed benchmarks: --benchmark, or the plugin's --benchmark-only / -enable."""
    opt = config.option
    return bool(config.getoption("--benchmark") or getattr(opt, "benchmark_only", False)
                or getattr(opt, "benchmark_enable", False))


def pytest_configure(config: pytest.Config) -> None:
    # Runs before pytest-benchmark's own pytest_configure (trylast), which reads these options into its session.
    opt = config.option
    if not hasattr(opt, "benchmark_disable"):  # the plugin is not loaded (-p no:benchmark)
        return
    if not timing_asked(config):
        opt.benchmark_disable = True  # correctness once, no timing (--benchmark-skip still skips them)
    if str(opt.benchmark_storage).endswith(".benchmarks"):  # the plugin's default: ours instead, for any save
        opt.benchmark_storage = f"file://{RESULTS}"
    if config.getoption("--benchmark") and not opt.benchmark_disable and not opt.benchmark_save \
            and not opt.benchmark_autosave:
        # The plugin's own autosave value is a tag (commit_time[_uncommited-changes]) naming the file; `True` would
        # name every file NNNN_True.json.
        from pytest_benchmark.utils import get_tag

        opt.benchmark_autosave = get_tag()


def is_benchmark(item: pytest.Item) -> bool:
    return "benchmark" in getattr(item, "fixturenames", ()) or item.get_closest_marker("slow") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--faults"):
        for item in items:
            if item.get_closest_marker("faults"):
                item.add_marker(pytest.mark.skip(reason="fault sweep: run with `pytest --faults`"))
    if not config.getoption("--benchmark"):
        return
    keep = [item for item in items if is_benchmark(item)]
    dropped = [item for item in items if not is_benchmark(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
def full_sweep(request) -> bool:
    """True under `pytest --benchmark`: a `slow` sweep runs at full size; otherwise its CI-sized slice."""
    return bool(request.config.getoption("--benchmark"))


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    """Add what a speed figure depends on beyond pytest-benchmark's CPU line: GPU, framework versions, threads, and
    the load averages (1, 5, 15 minutes) as the JSON is written, at the end of the run (the machine may be shared)."""
    import os

    from bench.meta import gpu_info, package_versions, thread_settings

    versions = package_versions()
    machine_info["gpu"] = gpu_info(with_gpu=True)
    machine_info["packages"] = versions
    for name in ("torch", "transformers", "numba"):
        machine_info[f"{name}_version"] = versions.get(name)
    machine_info["threads"] = thread_settings()
    machine_info["load_average"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
