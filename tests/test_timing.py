"""The one timing model, checked exactly: a counter stands in for the clock, scripted sides spend known seconds, and
every figure a report prints (machine, glue, compile, time per answer, both ratios and their spreads, FLOPs per
answer and per instruction) must come out to the number the script implies (issue 17)."""
from __future__ import annotations

import pytest

from bench import timing
from bench.side import Contestant
from bench.side_isa import IsaSide
from bench.side_llm import LlmSide
from bench.sides import SideOptions
from bench.summary import summarise
from bench.tasks import Instance, IsaAnswer, get_task
from bench.tasks.arith import Add
from bench.tasks.base import IsaBatch
from llm.interface import Completion, LogLikelihood


class Clock:
    """A monotonic counter: time moves only when a script says so."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(timing, "now", fake)
    return fake


def test_the_repeat_rule_takes_the_median_repeat(clock, monkeypatch):
    totals = iter([0.010, 0.004, 0.007, 0.5])  # 0.010 + 0.004 < MIN_TIMED_S = 0.02 <= 0.021: three repeats
    machines = iter([0.002, 0.001, 0.003, 0.0])

    def answer():
        return timing.timed_span(lambda: clock.advance(next(totals)) or "answers", lambda out: next(machines))

    first, timed = timing.repeat(answer)
    assert first == "answers" and [r.total_s for r in timed.repeats] == pytest.approx([0.010, 0.004, 0.007])
    assert timed.median.total_s == pytest.approx(0.007) and timed.median.machine_s == pytest.approx(0.003)
    assert timed.median.glue_s == pytest.approx(0.004)
    slow = iter([0.030, 0.001])  # a chunk that took 20 ms or more (a model's batch) is timed once
    assert len(timing.repeat(lambda: (None, timing.Span(next(slow), 0.0)))[1].repeats) == 1
    stalled = iter([0.012, 0.0011, 0.0009, 0.001, 0.0012, 1.0])  # a fast chunk stalled once, in its first answering:
    _, timed = timing.repeat(lambda: (None, timing.Span(next(stalled), 0.0)))  # repeated (under 20 ms in all) ...
    assert len(timed.repeats) == 5 and timed.median.total_s == pytest.approx(0.0011)  # ... the stall is not its time
    tiny = iter([0.001] * 9)  # never 20 ms in all: five repeats at most
    assert len(timing.repeat(lambda: (None, timing.Span(next(tiny), 0.0)))[1].repeats) == timing.MAX_REPEATS


def test_compiling_counts_once_in_the_chunk_the_first_repeat_pays_it():
    spans = iter([timing.Span(0.017, 0.001, 0.012), timing.Span(0.004, 0.002), timing.Span(0.002, 0.001)])
    _, timed = timing.repeat(lambda: (None, next(spans)))
    # the first took under 20 ms: three repeats at least; without their compiling 5, 4 and 2 ms, so the median is
    # the second, and the chunk pays the first repeat's compiling
    assert len(timed.repeats) == 3
    assert timed.median == timing.Span(pytest.approx(0.004 + 0.012), 0.002, 0.012)
    assert timed.fields(4)["compile_s"] == pytest.approx(0.003) and timed.fields(4)["glue_s"] == pytest.approx(0.0005)


def test_the_median_repeat_is_ranked_without_compiling_is_the_lower_of_two_and_keeps_its_parts(monkeypatch):
    def spans_of(*spans):
        it = iter(spans)
        return timing.repeat(lambda: (None, next(it)))[1]

    # 19 ms of which 16 compiling: 3 ms without it, the fastest; ranked by total it would be the slowest, and the
    # median would be the 5 ms repeat, not the 4 ms one
    timed = spans_of(timing.Span(0.019, 0.001, 0.016, (("engine", 0.001),)), timing.Span(0.004, 0.002,
                     parts=(("engine", 0.002),)), timing.Span(0.005, 0.003, parts=(("engine", 0.003),)))
    assert timed.median == timing.Span(pytest.approx(0.004 + 0.016), 0.002, 0.016, (("engine", 0.002),))
    # four repeats (15 ms after three, 22 after four): of 4, 5, 6 and 7 ms the median is the lower middle one
    timed = spans_of(*(timing.Span(t, 0.0) for t in (0.006, 0.004, 0.005, 0.007, 1.0)))
    assert len(timed.repeats) == 4 and timed.median.total_s == pytest.approx(0.005)
    # exactly MIN_TIMED_S (binary fractions, so the sums are exact): a first answering that long is timed once, and
    # repeats that add up to it stop there
    monkeypatch.setattr(timing, "MIN_TIMED_S", 0.5)
    assert len(spans_of(timing.Span(0.5, 0.0), timing.Span(1.0, 0.0)).repeats) == 1
    spans = (timing.Span(0.25, 0.0), timing.Span(0.125, 0.0), timing.Span(0.125, 0.0), timing.Span(1.0, 0.0))
    assert len(spans_of(*spans).repeats) == 3


class ScriptedAdd(Add):
    """add, with an ISA that spends scripted seconds: each batched call `totals[k]`, `machine[k]` of it inside the
    machine; each single solve 1 ms."""

    def __init__(self, clock, totals, machine):
        self.clock, self.totals, self.machine, self.calls = clock, list(totals), list(machine), 0

    def solve_isa_batch(self, texts, tier="jit", variant="", threads=None):
        k = self.calls
        self.calls += 1
        self.clock.advance(self.totals[k])
        return IsaBatch.of([IsaAnswer(self.reference(t), "HALTED", 40 + len(t)) for t in texts], self.machine[k])

    def solve_isa(self, text, tier="jit", variant=""):
        self.clock.advance(0.001)
        return IsaAnswer(self.reference(text), "HALTED", 40 + len(text))


def isa_rows(clock, n=4, totals=(0.012, 0.004, 0.008), machine=(0.002, 0.001, 0.003), instances=None):
    task = ScriptedAdd(clock, totals, machine)
    side = IsaSide(SideOptions())
    side.threads = 1
    who = Contestant("isa", "isa@test", "tier=jit", {"tier": "jit"}, "")
    insts = instances or [Instance("add", 1, i, 0, f"{i} + {i + 1}") for i in range(n)]
    return side.answer(task, who, insts)


def test_the_isa_side_records_the_median_repeat_split_into_machine_and_glue(clock):
    rows = isa_rows(clock)
    # repeats 12, 4, 8 ms (sum 24 >= 20 after three): the median is 8 ms, whose machine was 3 ms
    assert rows[0]["batch_times_s"] == pytest.approx([0.012, 0.004, 0.008])
    assert rows[0]["batch_s"] == pytest.approx(0.008) and rows[0]["repeats"] == 3
    assert rows[0]["machine_s"] == pytest.approx(0.003 / 4) and rows[0]["glue_s"] == pytest.approx(0.005 / 4)
    assert rows[0]["machine_times_s"] == pytest.approx([0.002, 0.001, 0.003])
    assert [r.get("alone_s") for r in rows] == [pytest.approx(0.001)] * 4  # a level's first ALONE_PER_LEVEL
    late = [Instance("add", 1, timing.ALONE_PER_LEVEL + i, 0, f"{i} + 1") for i in range(3)]
    assert "alone_s" not in isa_rows(clock, instances=late)[0]
    assert [r["steps"] for r in rows] == [45, 45, 45, 45]


class ScriptedLM:
    """A causal LM whose every generate call takes `seconds` on the clock, `model` of them in forward passes."""

    def __init__(self, clock, seconds=0.040, model=0.030, reply="3", shared=False):
        self.clock, self.seconds, self.model, self.reply, self.shared = clock, seconds, model, reply, shared
        self.info = {"model": "scripted", "content_hash": "abc", "dtype": "float32", "device": "cpu",
                     "n_params": 1000, "n_params_non_embedding": 600}

    def generate(self, prompts, max_new_tokens, stop=("\n",)):
        self.clock.advance(self.seconds)
        return [Completion(self.reply, 10, 2, self.seconds, len(prompts), self.model) for _ in prompts]

    def loglikelihood(self, contexts, continuations):
        self.clock.advance(self.seconds)
        # each request runs its 10-token context and 1-token continuation; `shared`: a context shared by two
        # labels runs once, counted on the first label's request
        return [LogLikelihood(-float(k), False, 10, 1, self.seconds, len(contexts), self.model,
                              1 if self.shared and k % 2 else 11) for k in range(len(contexts))]


def llm_rows(clock, task="add", method="generate", n=4, **kw):
    side = LlmSide(SideOptions(model="scripted"))
    backend = ScriptedLM(clock, **kw)
    who = Contestant("llm: scripted", "scripted@abc/float32/cpu", method, {"method": method}, backend)
    insts = [Instance(task, 1, i, 0, f"{i} + {i + 1}") for i in range(n)]
    if task == "sentiment":
        insts = get_task("sentiment").instances(1, n, 0, "test")
    return side.answer(get_task(task), who, insts)


def test_the_llm_side_splits_forward_passes_from_glue_and_counts_flops(clock):
    rows = llm_rows(clock)
    # one call of 40 ms (>= MIN_TIMED_S: one repeat), 30 ms of it forward passes: the rest is glue
    assert rows[0]["batch_s"] == pytest.approx(0.040) and rows[0]["repeats"] == 1
    assert rows[0]["machine_s"] == pytest.approx(0.030 / 4) and rows[0]["glue_s"] == pytest.approx(0.010 / 4)
    assert [r["alone_s"] for r in rows] == [pytest.approx(0.040)] * 4  # each alone: one call of 40 ms
    assert all(r["flops"] == 2 * 600 * (10 + 2) for r in rows)


def test_log_likelihood_flops_count_what_the_model_ran(clock):
    rows = llm_rows(clock, task="sentiment", method="loglikelihood", n=3)
    # per sentence two requests, each running its context (10) and continuation (1): the context twice
    assert all(r["flops"] == 2 * 600 * (11 + 11) for r in rows)
    assert rows[0]["machine_s"] == pytest.approx(0.030 / 3)  # one call's forward passes, shared by 3 answers
    shared = llm_rows(clock, task="sentiment", method="loglikelihood", n=3, shared=True)
    assert all(r["flops"] == 2 * 600 * (11 + 1) for r in shared)  # the context ran once


def test_a_scored_reference_answer_counts_the_tokens_the_model_ran_and_its_share_of_the_pass(clock, monkeypatch):
    # --method loglikelihood on a computed task: one request per instance, the reference answer as the continuation;
    # the scripted model says it ran 11 tokens for the even requests and 1 for the odd ones
    rows = llm_rows(clock, task="add", method="loglikelihood", n=4, shared=True)
    assert [r["flops"] for r in rows] == [2 * 600 * 11, 2 * 600 * 1] * 2
    assert rows[0]["machine_s"] == pytest.approx(0.030 / 4) and rows[0]["glue_s"] == pytest.approx(0.010 / 4)
    assert [r["answer"] for r in rows] == [None] * 4  # never the greedy continuation: no answer of its own
    # a backend that does not say what it ran (-1, a server): the context (10) and continuation (1), on both methods
    monkeypatch.setattr(ScriptedLM, "loglikelihood", lambda self, contexts, continuations: [
        LogLikelihood(-1.0, False, 10, 1, self.seconds, len(contexts)) for _ in contexts])
    for task in ("add", "sentiment"):
        rows = llm_rows(clock, task=task, method="loglikelihood", n=2)
        assert [r["flops"] for r in rows] == [2 * 600 * 11 * (2 if task == "sentiment" else 1)] * 2


def test_the_summary_divides_total_by_total_and_machine_by_machine(clock):
    isa = isa_rows(clock, n=4, totals=(0.012, 0.004, 0.008), machine=(0.002, 0.001, 0.003))
    llm = llm_rows(clock, n=4, seconds=0.040, model=0.030)
    common = {"task": "add", "difficulty": 1, "exact": True, "partial": 1.0, "chunk": None}
    records = ([{**r, **common, "backend": "isa", "contestant": "isa", "variant": "isa@t", "setting": "tier=jit",
                 "key": f"i{k}", "chunk": "a", "per_answer_s": r["batch_s"] / r["batch_size"]}
                for k, r in enumerate(isa)]
               + [{**r, **common, "backend": "llm", "contestant": "llm: s", "variant": "s", "setting": "generate",
                   "key": f"l{k}", "chunk": "b", "per_answer_s": r["batch_s"] / r["batch_size"]}
                  for k, r in enumerate(llm)])
    s = summarise(records).set_index("backend")
    isa_t, llm_t = 0.008 / 4, 0.040 / 4
    assert s.loc["isa", "time_per_answer_s"] == pytest.approx(isa_t)
    assert s.loc["isa", "machine_per_answer_s"] == pytest.approx(0.003 / 4)
    assert s.loc["isa", "glue_per_answer_s"] == pytest.approx(0.005 / 4)
    assert s.loc["llm", "total_ratio_to_isa"] == pytest.approx(llm_t / isa_t)
    assert s.loc["llm", "machine_ratio_to_isa"] == pytest.approx((0.030 / 4) / (0.003 / 4))
    # spreads: quartiles of the repeats per answer (ISA 12, 4, 8 ms -> q1 6 ms, q3 10 ms; / 4 answers)
    assert s.loc["isa", "per_answer_q1_s"] == pytest.approx(0.006 / 4)
    assert s.loc["isa", "per_answer_q3_s"] == pytest.approx(0.010 / 4)
    assert s.loc["llm", "total_ratio_to_isa_lo"] == pytest.approx(llm_t / (0.010 / 4))
    assert s.loc["llm", "total_ratio_to_isa_hi"] == pytest.approx(llm_t / (0.006 / 4))
    # machine repeats 2, 1, 3 ms -> q1 1.5, q3 2.5 ms
    assert s.loc["llm", "machine_ratio_to_isa_lo"] == pytest.approx((0.030 / 4) / (0.0025 / 4))
    assert s.loc["llm", "machine_ratio_to_isa_hi"] == pytest.approx((0.030 / 4) / (0.0015 / 4))
    assert s.loc["llm", "flops_per_answer"] == 2 * 600 * 12
    assert s.loc["llm", "flops_per_instruction"] == pytest.approx(2 * 600 * 12 / 45)
    assert s.loc["llm", "isa_contestant"] == "isa"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture
def forward_counter(monkeypatch):
    """Every clock of the model backends (the forward-pass clock and each batch's wall clock) reads one counter that
    advances one second per reading: each forward pass lasts exactly one second."""
    from types import SimpleNamespace

    import llm.classifier
    import llm.forward_time as ft
    import llm.hf_backend
    import llm.loglik

    fake = Clock()

    def tick() -> float:
        fake.advance(1.0)
        return fake.t

    monkeypatch.setattr(ft, "now", tick)
    for module in (llm.hf_backend, llm.loglik, llm.classifier):
        monkeypatch.setattr(module, "time", SimpleNamespace(perf_counter=tick))


def count_forwards(model) -> list[int]:
    calls = [0]
    model.register_forward_hook(lambda *a: calls.__setitem__(0, calls[0] + 1))
    return calls


def test_a_models_machine_time_is_its_forward_passes(tiny, forward_counter):
    from llm.runner import load_backend

    backend = load_backend(str(tiny), device="cpu", threads=1, batch_size=2)
    calls = count_forwards(backend.model)
    out = backend.generate(["12+3=", "4+5=", "99+1="], 5, stop=[])
    # two batches (2 + 1 prompts); each batch's model_s = its forward passes (one second each on this clock)
    by_batch = {c.batch_size: c.model_s for c in out}
    assert sum(by_batch.values()) == calls[0] > 0
    calls[0] = 0
    scores = backend.loglikelihood(["Review: ok\nSentiment:"] * 2, [" positive", " negative"])
    assert {s.model_s for s in scores} == {calls[0]} == {1}  # one forward pass scores both pairs
    # the context ran once (counted on the first label), then each label's tokens but its last
    assert [s.processed_tokens for s in scores] == [scores[0].context_tokens + 8, 8]


def test_a_batchs_wall_time_holds_its_forward_passes(tiny, forward_counter):
    """latency_s, the wall time of a completion's or a score's batch (llm/interface.py), runs from before the batch's
    first forward pass to after its answers are decoded: more than the forward passes alone, never only decoding."""
    from llm.runner import load_backend

    backend = load_backend(str(tiny), device="cpu", threads=1, batch_size=2)
    out = backend.generate(["12+3=", "4+5=", "99+1="], 5, stop=[])
    scores = backend.loglikelihood(["Review: ok\nSentiment:"] * 2, [" positive", " negative"])
    assert all(c.latency_s > c.model_s >= 1 for c in out + scores)


def test_a_classifiers_machine_time_is_its_forward_passes(tmp_path, forward_counter):
    from llm.runner import load_backend
    from tests.tiny_encoder import make_tiny_encoder

    folder = make_tiny_encoder(tmp_path / "cls", head=True)
    backend = load_backend(str(folder), device="cpu", threads=1, batch_size=2)
    calls = count_forwards(backend.model)
    out = backend.classify(["good", "bad", "so so"])
    assert sum({c.batch_size: c.model_s for c in out}.values()) == calls[0] == 2
    assert all(c.latency_s > c.model_s for c in out)  # the batch's wall time holds its forward pass


def test_one_model_in_two_dtypes_keeps_two_sets_of_records(tiny, tmp_path):
    from bench import cli, records

    out = tmp_path / "run"
    for dtype in ("float32", "bfloat16"):
        assert cli.main(["run", "--tasks", "add", "--difficulties", "1", "--n", "3", "--model", str(tiny),
                         "--device", "cpu", "--dtype", dtype, "--backends", "llm", "--out", str(out), "--quiet",
                         "--no-plots"]) == 0
    recs = records.load(out / records.RECORDS_FILE).records
    assert len(recs) == 6 and len({r["variant"] for r in recs}) == 2
    assert {r["variant"].split("/")[1] for r in recs} == {"float32", "bfloat16"}


def test_a_warm_up_step_holds_its_time_less_the_compile_it_reports(monkeypatch):
    """`compile <task>` and `warm-up <task>` are apart in a side's set-up and add up to the warm-up's whole time (the
    default run's breakdown sums them)."""
    from bench.side import Contestant, Side, SideOptions
    from bench.tasks import Instance, get_task

    clock = [0.0]
    monkeypatch.setattr(timing, "now", lambda: clock[0])

    class Compiling(Side):
        name = "fake"

        def _warm_up(self, task, who, instances):
            clock[0] += 1.5  # the whole warm-up, of which 1.0 compiling
            self.setup[f"compile {task.name}"] = self.setup.get(f"compile {task.name}", 0.0) + 1.0

    side, task = Compiling(SideOptions()), get_task("add")
    side.setup["compile square"] = 4.0  # an earlier task's compile is not this warm-up's
    side.warm_up(task, Contestant("fake", "v", ""), [Instance("add", 1, 0, 0, "1 + 2")])
    assert side.setup == {"compile square": 4.0, "compile add": 1.0, "warm-up add": pytest.approx(0.5)}
