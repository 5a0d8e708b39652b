"""`isabench report` on pytest-benchmark JSON (issue 22 item 3): the ISA tier and harness-path benchmarks become
tables of their own, every cell the figure the file holds; a file isabench cannot report gets a message, not a
traceback; a task benchmark's own harness times win over pytest-benchmark's statistics."""
from __future__ import annotations

import json

import pytest

from bench import cli
from bench.from_benchmark import HARNESS_KIND, TIER_KIND, load_benchmark, read, row_of


def spread(median, q1, q3):
    return {"median": median, "q1": q1, "q3": q3, "min": q1 / 2, "max": q3 * 2, "rounds": 15}


def tier(engine, ns, ratios, instructions=20_000_005):
    return {"name": f"test_bench_engine[sum_loop-{engine}]", "stats": {"median": ns * instructions / 1e9},
            "extra_info": {"kind": TIER_KIND, "workload": "tight loop (add, xor)", "engine": engine,
                           "instructions": 300_000 if engine == "ref" else instructions,
                           "run_instructions": instructions, "rounds_ns_per_instr": spread(ns, ns * 0.9, ns * 1.1),
                           "ratios": ratios, "rounds": 15, "clock": "time.perf_counter", "threads": 1,
                           "load_1min": [1.25, 2.5]}}


TIERS = [tier("ref", 640.0, {"jit": spread(280.0, 248.0, 342.0)}),
         tier("jit", 1.81, {"native": spread(21.5, 17.8, 36.8)}),
         tier("compiled", 0.18, {"native": spread(2.19, 1.96, 2.79), "wasmtime": spread(0.696, 0.606, 0.814)}),
         tier("wasmtime", 0.324, {"native": spread(3.24, 2.89, 4.98)}),
         tier("native", 0.0766, {})]
HARNESS = {"name": "test_bench_harness_isa[add-d5-jit]", "stats": {"median": 0.001},
           "extra_info": {"kind": HARNESS_KIND, "task": "add", "difficulty": 5, "tier": "jit", "n": 1000,
                          "chunk_size": 250, "threads": 1, "time_per_answer_s": 2.65e-6, "per_answer_q1_s": 2.48e-6,
                          "per_answer_q3_s": 3.16e-6, "machine_per_answer_s": 0.4e-6, "glue_per_answer_s": 2.25e-6,
                          "compile_per_answer_s": 0.0, "load_1min": [3.0, 4.0]}}


def write(tmp_path, benchmarks, name="0001_x.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"machine_info": {"cpu": {"brand_raw": "Test CPU", "count": 2}},
                                "commit_info": {"id": "abc"}, "benchmarks": benchmarks}))
    return path


def test_tier_benchmarks_become_their_own_table(tmp_path, capsys):
    path = write(tmp_path, TIERS + [HARNESS, {"name": "test_other", "stats": {"median": 1.0}, "extra_info": {}}])
    assert cli.main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    table = (tmp_path / "0001_x-report" / "isa_tiers.md").read_text()
    assert table in out
    assert table.splitlines()[0].endswith("| jit ÷ native | compiled ÷ native | compiled ÷ wasmtime | wasmtime ÷ native "
                                          "| ref ÷ jit |")  # each ratio's header over its own figures
    row = next(line for line in table.splitlines() if line.startswith("| tight loop"))
    assert row == ("| tight loop (add, xor) | 20,000,005 | 640 | 1.81 | 0.18 | 0.324 | 0.0766 | 21.5 (17.8–36.8) | "
                   "2.19 (1.96–2.79) | 0.696 (0.606–0.814) | 3.24 (2.89–4.98) | 280 (248–342) |")
    assert "prefix of each run, 300,000 instructions" in table and "load average 1.2–2.5" in table
    harness = (tmp_path / "0001_x-report" / "isa_harness.md").read_text()
    assert "| add | 5 | jit | 1,000 | 2.65 (2.48–3.16) | 0.4 | 2.25 | 0 | 5.62 |" in harness
    assert not (tmp_path / "0001_x-report" / "summary.csv").exists()  # no task benchmark: no summary


def test_a_file_isabench_cannot_report_gets_a_message(tmp_path, capsys):
    path = write(tmp_path, [{"name": f"test_old[{k}]", "stats": {"median": 1.0}, "extra_info": {"steps": 5}}
                            for k in range(7)])
    assert cli.main(["report", str(path)]) == 1
    err = capsys.readouterr().err
    assert "none of its 7 benchmarks is one isabench reports" in err and "test_old[0]" in err
    assert "and 2 more" in err and "Traceback" not in err
    assert cli.main(["plot", str(path)]) == 1 and "none of its 7" in capsys.readouterr().err
    tiers_only = write(tmp_path, TIERS, "0002_y.json")
    assert cli.main(["plot", str(tiers_only)]) == 1
    assert "no task benchmark" in capsys.readouterr().err
    other = tmp_path / "records.json"
    other.write_text("[1, 2]")
    assert cli.main(["report", "--from-benchmark", str(other)]) == 2
    assert "is not a pytest-benchmark JSON file" in capsys.readouterr().err
    with pytest.raises(ValueError, match="cannot read pytest-benchmark JSON"):
        read(tmp_path / "missing.json")


def test_a_task_benchmark_reports_the_harness_times_it_carries(tmp_path):
    info = {"task": "add", "difficulty": 1, "backend": "isa", "n": 4, "correct": 4, "time_per_answer_s": 2e-6,
            "per_answer_q1_s": 1e-6, "per_answer_q3_s": 5e-6, "machine_per_answer_s": 5e-7, "repeats": 3}
    row = row_of({"stats": {"median": 0.004, "q1": 0.003, "q3": 0.005}, "extra_info": info})
    assert (row["time_per_answer_s"], row["per_answer_iqr_s"], row["repeats"]) == (2e-6, pytest.approx(4e-6), 3)
    assert row["throughput_per_s"] == pytest.approx(5e5)  # answers per second: 1 / the time per answer
    bare = row_of({"stats": {"median": 0.004, "q1": 0.003, "q3": 0.005},
                   "extra_info": {k: info[k] for k in ("task", "difficulty", "backend", "n", "correct")}})
    assert bare["time_per_answer_s"] == 0.001 and bare["per_answer_q3_s"] == pytest.approx(0.00125)
    summary, _ = load_benchmark(write(tmp_path, [{"name": "t", "stats": {"median": 0.004}, "extra_info": info}]))
    assert summary.iloc[0]["machine_per_answer_s"] == 5e-7
