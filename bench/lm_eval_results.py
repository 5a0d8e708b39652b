"""lm-evaluation-harness's results file for every contestant of a run folder, so its tooling reads isabench's figures:

    RUN/lm_eval/<contestant>-<hash>/results_<date>.json

lm-eval 0.4 writes one such file per evaluated model (EvaluationTracker.save_results_aggregated: the dict of
evaluator.simple_evaluate under `<output_path>/<model>/results_<date>.json`; its readers find results files by the
`results_` prefix). This writes the same shape from the records alone, one file per contestant of the folder (what
answered and how it was asked: backend, variant and setting, the records' key parts; the hash tells two of one label
apart). Each cell (task x level) is an lm-eval task named `isabench_<task>_d<level>`. The fields with a meaning here:

- `results`: per task, its `alias` and each metric as `<metric>,<filter>` with `<metric>_stderr,<filter>` beside it:
  an answer the contestant wrote (generated; the register machine's; the reference's) scores `exact_match` under two
  filters, `strict-match` (the headline exact %) and `flexible-extract` (bench/tasks/replies.py); an answer chosen by
  scoring (a label's log-likelihood, a head; on a computed task, whether the reference is the greedy continuation:
  lm-eval's arithmetic_*) scores `acc,none`. The standard error is lm-eval's for a mean: the sample standard
  deviation (n - 1 in the denominator) over √n, and "N/A" for a single sample.
- `configs` (what each cell asked and how: output type, shots, delimiters, generation settings, filters, metrics,
  isabench's own settings under `metadata`), `versions` (the task's version), `n-shot`, `higher_is_better`,
  `n-samples` (original: the instances a full run asks of the cell; effective: those answered, fewer after --limit
  or an interruption), `group_subtasks` (every cell stands alone).
- `config` (contestant, model identity, batch size, device, limit, gen_kwargs, seeds), `git_hash`, `date` (the
  folder's first record: the file's name stays put as a run resumes), `model_name`, `model_name_sanitized`, and an
  `isabench` block with the record key parts.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

from bench import safe_io
from bench.tasks.replies import FLEXIBLE, STRICT

FOLDER = "lm_eval"
SCORED = ("loglikelihood", "head")  # methods that choose or check an answer rather than write one


def task_name(task: str, difficulty: int) -> str:
    return f"isabench_{task}_d{difficulty}"


def mean_stderr(items: list[float]) -> float | str:
    """lm-eval's `mean_stderr`: the sample standard deviation over √n; "N/A" for one item, as lm-eval writes it."""
    n = len(items)
    if n < 2:
        return "N/A"
    mu = sum(items) / n
    return math.sqrt(sum((x - mu) ** 2 for x in items) / (n - 1)) / math.sqrt(n)


def metrics(recs: list[dict]) -> dict[str, float | str]:
    """`<metric>,<filter>` -> value, each with its `_stderr`."""
    if recs[0].get("method") in SCORED:
        pairs = [("acc", "none", [float(r["exact"]) for r in recs])]
    else:
        pairs = [("exact_match", STRICT, [float(r["exact"]) for r in recs])]
        if all(type(r.get("exact_flexible")) is bool for r in recs):  # records older than the rule have none
            pairs.append(("exact_match", FLEXIBLE, [float(r["exact_flexible"]) for r in recs]))
    out: dict[str, float | str] = {}
    for metric, where, items in pairs:
        out[f"{metric},{where}"] = sum(items) / len(items)
        out[f"{metric}_stderr,{where}"] = mean_stderr(items)
    return out


def output_type(rec: dict) -> str:
    """lm-eval's name for how the cell was asked."""
    method = rec.get("method")
    if method == "loglikelihood":
        return "multiple_choice" if rec.get("ground_truth") == "labels" else "loglikelihood"
    return "multiple_choice" if method == "head" else "generate_until"


def task_config(name: str, recs: list[dict]) -> dict:
    from bench.tasks import FORMATS, TASKS

    first = recs[0]
    task, fmt = TASKS.get(first["task"]), first.get("prompt_format")
    scored = first.get("method") in SCORED
    config = {
        "task": name, "tag": ["isabench", f"isabench_{first['task']}"],
        "dataset_path": first["split"] if str(first.get("split")).startswith("data:") else "isabench",
        "dataset_name": f"{first['task']}_d{first['difficulty']}",
        "test_split": first.get("split"), "output_type": output_type(first),
        "num_fewshot": first.get("shots") or 0, "repeats": 1,
        "metric_list": [{"metric": "acc" if scored else "exact_match", "aggregation": "mean",
                         "higher_is_better": True}],
    }
    if task is not None and fmt in FORMATS:
        config.update(target_delimiter=task.answer_prefix(fmt), fewshot_delimiter=FORMATS[fmt].separator)
    if first.get("method") == "generate":
        gen = first.get("gen_kwargs") or {}
        config["generation_kwargs"] = {"until": gen.get("until", ["\n"]), "do_sample": False,
                                       **({"max_gen_toks": gen["max_new_tokens"]} if "max_new_tokens" in gen else {})}
    if not scored:
        rule = task.flexible_rule if task is not None else "the strict rule"
        config["filter_list"] = [
            {"name": STRICT, "filter": [{"function": "isabench", "rule": "the reply's first line is the answer in its "
                                                                          "form (Task.parse_reply)"}]},
            {"name": FLEXIBLE, "filter": [{"function": "isabench", "rule": rule}]}]
    config["metadata"] = {"version": first.get("task_version"), "isabench_task": first["task"],
                          "difficulty": first["difficulty"], "axis": first.get("axis"),
                          "ground_truth": first.get("ground_truth"), "backend": first["backend"],
                          "method": first.get("method"), "prompt_format": fmt, "setting": first.get("setting"),
                          "seed": first.get("seed")}
    return config


def sanitized(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "contestant"


def contestants(recs: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = defaultdict(list)
    for r in recs:
        out[(r["backend"], r.get("variant", ""), r.get("setting", ""))].append(r)
    return out


def folder_name(key: tuple, label: str) -> str:
    return f"{sanitized(label)}-{hashlib.sha256('|'.join(map(str, key)).encode()).hexdigest()[:8]}"


def date_of(recs: list[dict]) -> float | None:
    times = [r["finished_at"] for r in recs if isinstance(r.get("finished_at"), (int, float))]
    return min(times) if times else None


def results_dict(key: tuple, recs: list[dict], meta: dict, date: float | None) -> dict:
    """One contestant's results in lm-eval's shape (the module docstring says which fields and what they hold)."""
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in recs:
        cells[(r["task"], r["difficulty"])].append(r)
    from bench.summary import task_order

    order = task_order()
    ordered = sorted(cells.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][0], kv[0][1]))
    first = recs[0]
    label = first.get("contestant") or first["backend"]
    options = meta.get("options") or {}
    out = {"results": {}, "group_subtasks": {}, "configs": {}, "versions": {}, "n-shot": {},
           "higher_is_better": {}, "n-samples": {}}
    for (task, difficulty), rows in ordered:
        name = task_name(task, difficulty)
        scores = metrics(rows)
        out["results"][name] = {"alias": name, **scores}
        out["group_subtasks"][name] = []
        out["configs"][name] = task_config(name, rows)
        out["versions"][name] = rows[0].get("task_version")
        out["n-shot"][name] = rows[0].get("shots") or 0
        out["higher_is_better"][name] = {k.split(",")[0]: True for k in scores if "_stderr" not in k}
        sizes = [r["cell_size"] for r in rows if isinstance(r.get("cell_size"), int)]
        out["n-samples"][name] = {"original": max(sizes + [len(rows)]), "effective": len(rows)}
    for field in ("configs", "versions", "n-shot", "higher_is_better"):
        out[field] = dict(sorted(out[field].items()))
    gen = first.get("gen_kwargs")
    out["config"] = {
        "model": label, "model_args": key[1], "model_source": first["backend"],
        "batch_size": options.get("batch_size") if first["backend"] in ("llm", "hybrid") else None,
        "device": first.get("device") or options.get("device"), "limit": options.get("limit"),
        "gen_kwargs": None if not gen else ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(gen.items())),
        "random_seed": first.get("seed"), "fewshot_seed": first.get("shot_seed"),
    }
    out["git_hash"] = (meta.get("git") or {}).get("commit")
    out["date"] = date
    out["model_name"], out["model_name_sanitized"] = label, sanitized(label)
    out["isabench"] = {"backend": key[0], "variant": key[1], "setting": key[2], "records": "records.jsonl",
                       "command": meta.get("command")}
    return out


def write_results(written, run: str | Path, recs: list[dict], meta: dict) -> None:
    """Every contestant's results file under RUN/lm_eval/ (through `written`: a failure is said, never fatal)."""
    if not recs:
        return
    run, date = Path(run), date_of(recs)
    stamp = "undated" if date is None else \
        datetime.fromtimestamp(date, timezone.utc).replace(tzinfo=None).isoformat().replace(":", "-")
    try:
        top = safe_io.make_folder(run / FOLDER)
    except OSError as e:
        written.failures.append(f"could not write {run / FOLDER}: {e}")
        return
    for key, rows in contestants(recs).items():
        label = rows[0].get("contestant") or rows[0]["backend"]
        try:
            folder = safe_io.make_folder(top / folder_name(key, label))
        except OSError as e:
            written.failures.append(f"could not write {top / folder_name(key, label)}: {e}")
            continue
        text = json.dumps(results_dict(key, rows, meta, date), indent=2, ensure_ascii=False, default=str) + "\n"
        written.file(folder / f"results_{stamp}.json", text)
