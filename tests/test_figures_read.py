"""What a reader of the figures trips over (issue 22 items 10-14, 16): each figure is read back from its matplotlib
artists just before it is saved: legend texts, colours, markers, fills, line data, axis titles and tick labels."""
from __future__ import annotations

import matplotlib.colors as mcolors
import pytest

from bench import plots
from bench.figures import plot_all
from bench.plots_cost import plot_cost
from bench.plots_emulate import plot_emulate
from bench.plots_tradeoff import plot_tradeoff
from bench.meta import hardware_line, models_in
from bench.plot_style import PALETTE
from bench.suites import PAPER_FEW_SHOT, paper_table
from readers_data import records, summary_of


@pytest.fixture
def saved(monkeypatch):
    """name -> the figure as it was saved (its PNG; the SVG is the same figure)."""
    figures = {}
    real = plots.save_figure

    def keep(fig, path, **kw):
        if path.suffix == ".png":
            figures[path.stem] = fig
        return real(fig, path, **kw)

    monkeypatch.setattr(plots, "save_figure", keep)
    return figures


def legend_of(fig) -> dict[str, object]:
    legend = fig.legends[0]
    return {t.get_text(): h for t, h in zip(legend.get_texts(), legend.legend_handles)}


def square_run():
    """square d1-d3: the ISA, the embedded model (d3 never trained on, and interrupted at 64 of 100), the hybrid."""
    return summary_of(
        records("square", 1, "isa", 2, 2, 1.5e-4, steps=10), records("square", 2, "isa", 100, 100, 8e-6, steps=20),
        records("square", 3, "isa", 100, 100, 8e-6, steps=30),
        records("square", 1, "llm", 2, 2, 1e-2, flops=1e6), records("square", 2, "llm", 100, 80, 1e-2, flops=2e6),
        records("square", 3, "llm", 64, 20, 1e-2, flops=3e6, coverage="untrained"),
        records("square", 1, "hybrid", 2, 1, 1e-1, steps=4, flops=3e10),
        records("square", 2, "hybrid", 100, 50, 1e-1, steps=4, flops=3e10),
        records("square", 3, "hybrid", 100, 30, 1e-1, steps=4, flops=3e10),
    )


def test_accuracy_tells_contestants_apart_and_says_how_each_model_was_asked(tmp_path, saved):
    plots.plot_accuracy(square_run(), tmp_path)
    fig = saved["accuracy"]
    legend = legend_of(fig)
    wanted = ["ISA (register machine)", "llm (embedded model; compact prompt, 0-shot)",
              "hybrid: smollm2 (compact prompt, 4-shot)"]
    assert all(w in legend for w in wanted), list(legend)
    colors = [mcolors.to_hex(legend[w].get_color()) for w in wanted]
    markers = [legend[w].get_marker() for w in wanted]
    assert len(set(colors)) == 3 and set(colors) <= {c.lower() for c in PALETTE}  # Okabe-Ito, one each
    assert len(set(markers)) == 3
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["1\nn=2", "2\nn=100", "3\nn=100"]  # n under each level, once
    notes = [t.get_text() for t in ax.texts]
    assert notes == ["n=64"]  # only the point whose n differs from its level's says its own


def test_a_model_scored_by_log_likelihood_says_so_in_its_legend_entry(tmp_path, saved):
    summary = summary_of(records("add", 1, "llm", 10, 5), records("add", 1, "loglik", 10, 8))
    plots.plot_accuracy(summary, tmp_path)
    assert set(legend_of(saved["accuracy"])) == {"llm (embedded model; compact prompt, 0-shot)",
                                                 "llm (embedded model; gpt3 prompt, 0-shot, log-likelihood)"}


def test_hollow_means_untrained_and_half_filled_training_data_and_no_line_crosses(tmp_path, saved):
    summary = summary_of(
        records("add", 1, "llm", 20, 18, flops=1e6), records("add", 2, "llm", 20, 15, flops=1e6),
        records("add", 3, "llm", 20, 5, flops=1e6, coverage="untrained"),
        records("add", 4, "llm", 20, 1, flops=1e6, coverage="untrained"),
        records("emulate", 2, "llm", 20, 19, flops=1e6, coverage="train-shared"),
        records("emulate", 4, "llm", 20, 10, flops=1e6),
    )
    plots.plot_accuracy(summary, tmp_path)
    fig = saved["accuracy"]
    legend = legend_of(fig)
    assert legend["hollow: a level the model never trained on"].get_markerfacecolor() == "white"
    assert legend["half-filled: the level's instances are also the model's training data"].get_fillstyle() == "left"
    add = fig.axes[0]
    drawn = [line for line in add.get_lines() if len(line.get_xdata()) > 0]
    joined = [line for line in drawn if line.get_linestyle() == "-" and len(line.get_xdata()) > 1]
    spans = sorted(tuple(round(x) for x in line.get_xdata()) for line in joined)
    assert spans == [(1, 2), (3, 4)]  # trained 1-2, untrained 3-4: never 2-3
    points = {round(float(line.get_xdata()[0])): line for line in drawn if line.get_linestyle() == "None"}
    assert points[3].get_markerfacecolor() == "white" and points[1].get_markerfacecolor() != "white"
    emulate = fig.axes[1]
    half = [line for line in emulate.get_lines() if line.get_linestyle() == "None" and line.get_fillstyle() == "left"]
    assert len(half) == 1 and list(half[0].get_xdata()) == pytest.approx([2.0], abs=0.3)


def test_time_has_one_entry_per_contestant_and_explains_its_line_styles_once(tmp_path, saved):
    plots.plot_time(square_run(), tmp_path)
    legend = list(legend_of(saved["time"]))
    contestants = [t for t in legend if not t.startswith(("solid:", "dashed:", "×:"))]
    assert len(contestants) == 3 and len(legend) == 6  # was 3 per contestant: 9 (15 on a full run)
    footnote = saved["time"].texts[-1].get_text()
    assert "n < 10 at square d1" in footnote


def test_a_log_axis_has_labelled_ticks_and_no_minor_ones(tmp_path, saved):
    plots.plot_time(square_run(), tmp_path)
    plot_tradeoff(square_run(), tmp_path)
    logs = [axis for name in ("time", "tradeoff") for ax in saved[name].axes
            for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())) if scale == "log"]
    assert len(logs) == 2  # time's y, the trade-off's x
    for axis in logs:
        assert axis.get_minorticklocs().size == 0
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert len(labels) >= 2, labels


def test_time_explains_an_isa_batch_above_one_answer_alone(tmp_path, saved):
    summary = summary_of(records("emulate", 8, "isa", 100, 100, 4e-4, steps=8),
                         records("emulate", 16, "isa", 100, 100, 1e-6, steps=16))
    summary.loc[summary["difficulty"] == 8, "alone_median_s"] = 2e-4  # batched 400 µs, alone 200 µs
    plots.plot_time(summary, tmp_path)
    footnote = saved["time"].texts[-1].get_text()
    assert "ISA batched above alone at emulate d8:" in footnote and "d16" not in footnote


def test_cost_puts_instructions_and_flops_on_their_own_axes_and_the_hybrid_on_both(tmp_path, saved):
    plot_cost(square_run(), tmp_path)
    fig = saved["cost"]
    by_title = {ax.get_title(): ax for ax in fig.axes if ax.get_visible()}
    instr, flops = by_title["square: instructions executed"], by_title["square: FLOPs (≈ 2 × params × tokens)"]
    assert instr.get_ylabel() == "instructions executed per answer" and flops.get_ylabel() == "FLOPs per answer"

    def plotted(ax):
        return {mcolors.to_hex(line.get_color()) for line in ax.get_lines() if len(line.get_xdata())}

    legend = legend_of(fig)
    isa, llm = (mcolors.to_hex(legend[k].get_color()) for k in ("ISA (register machine)",
                                                                 "llm (embedded model; compact prompt, 0-shot)"))
    hybrid = mcolors.to_hex(legend["hybrid: smollm2 (compact prompt, 4-shot)"].get_color())
    assert plotted(instr) == {isa, hybrid} and plotted(flops) == {llm, hybrid}


def sentiment_run():
    rows = []
    for d in (1, 2, 3):
        rows += records("sentiment", d, "isa", 100, 80, 3e-6, steps=300 * d, contestant="isa: counted")
        rows += records("sentiment", d, "isa", 100, 85, 3e-6, steps=300 * d, contestant="isa: lexicon")
        rows += records("sentiment", d, "llm", 100, 90, 2e-2, flops=2e8 * d, contestant="llm: sentiment-lora",
                        model="sentiment-lora")
    return summary_of(rows)


def test_two_isa_contestants_with_equal_work_do_not_hide_each_other(tmp_path, saved):
    plot_cost(sentiment_run(), tmp_path)
    ax = next(a for a in saved["cost"].axes if a.get_title() == "sentiment: instructions executed")
    lines = [line for line in ax.get_lines() if len(line.get_xdata())]
    assert len(lines) == 2
    (a, b) = lines
    assert list(a.get_ydata()) == list(b.get_ydata())  # the same work...
    assert all(x != y for x, y in zip(a.get_xdata(), b.get_xdata()))  # ...drawn a step apart
    assert a.get_marker() != b.get_marker() and a.get_color() != b.get_color()


def test_the_ratio_names_the_isa_contestant_it_divides_by(tmp_path, saved):
    summary = sentiment_run()
    assert set(summary.loc[summary["backend"] == "llm", "isa_contestant"]) == {"isa: lexicon"}
    plots.plot_ratio(summary, tmp_path)
    assert saved["time_ratio"].axes[0].get_title() == "sentiment (÷ isa: lexicon)"


def test_the_ratio_leaves_out_levels_of_very_few_answers_and_says_so(tmp_path, saved):
    plots.plot_ratio(square_run(), tmp_path)
    fig = saved["time_ratio"]
    data = [line for line in fig.axes[0].get_lines() if line.get_marker() not in ("None", None, "")]  # not y = 1
    xs = {round(float(x)) for line in data for x in line.get_xdata()}
    assert 1 not in xs and {2, 3} <= xs
    assert "n < 10 at square d1" in fig.texts[-1].get_text() and "left out" in fig.texts[-1].get_text()


def test_the_ratio_and_accuracy_figures_draw_the_summarys_own_figures(tmp_path, saved):
    """Each plotted ratio is the summary's ratio (not a quartile's), each accuracy bar spans its Wilson interval."""
    spread = [dict(r, batch_times_s=[r["batch_s"] * k for k in (0.5, 1, 3)], repeats=3,
                   machine_times_s=[r["batch_s"] * k / 2 for k in (0.5, 1, 3)])
              for d in (2, 3) for r in records("square", d, "llm", 100, 80, 1e-2, flops=2e6)]
    summary = summary_of(records("square", 2, "isa", 100, 100, 8e-6, steps=20),
                         records("square", 3, "isa", 100, 100, 8e-6, steps=30), spread)
    llm = summary[summary["backend"] == "llm"]
    assert (llm["total_ratio_to_isa_lo"] < llm["total_ratio_to_isa"]).all()  # a ratio apart from its quartiles
    plots.plot_ratio(summary, tmp_path)
    drawn = {tuple(round(float(y), 9) for y in line.get_ydata())
             for line in saved["time_ratio"].axes[0].get_lines() if len(line.get_ydata()) == len(llm)}
    for what in ("total", "machine"):
        assert tuple(round(float(y), 9) for y in llm[f"{what}_ratio_to_isa"]) in drawn, what
    bars = {(round(float(seg[0][1]), 9), round(float(seg[1][1]), 9))
            for c in saved["time_ratio"].axes[0].collections for seg in c.get_segments()}
    assert bars == {(round(float(lo), 9), round(float(hi), 9)) for what in ("total", "machine")
                    for lo, hi in zip(llm[f"{what}_ratio_to_isa_lo"], llm[f"{what}_ratio_to_isa_hi"])}
    plots.plot_accuracy(summary, tmp_path)
    bars = {(round(float(seg[0][1]), 6), round(float(seg[1][1]), 6))
            for c in saved["accuracy"].axes[0].collections for seg in c.get_segments()}
    wilson = {(round(100 * lo, 6), round(100 * hi, 6)) for lo, hi in zip(summary["accuracy_lo"], summary["accuracy_hi"])}
    assert bars == wilson


def test_the_n_under_a_tick_is_the_most_common_and_the_larger_on_a_tie():
    summary = summary_of(records("add", 1, "isa", 100, 100, steps=9), records("add", 1, "llm", 64, 30, flops=1e6),
                         records("add", 2, "isa", 100, 100, steps=9), records("add", 2, "llm", 64, 30, flops=1e6),
                         records("add", 2, "hybrid", 64, 30, steps=4, flops=1e9))
    assert plots.shared_n(summary) == {"add": {1: 100, 2: 64}}


def emulate_run():
    return summary_of(
        records("emulate", 4, "isa", 100, 100, 2e-4, steps=4), records("emulate", 8, "isa", 100, 100, 4e-4, steps=8),
        records("emulate", 16, "isa", 100, 100, 5e-4, steps=16),
        records("emulate", 4, "llm", 100, 30, 1e-2, flops=9e7), records("emulate", 8, "llm", 100, 4, 2e-2, flops=2e8),
        records("emulate", 16, "llm", 100, 3, 3e-2, flops=2.4e8),
        records("sentiment", 1, "llm", 100, 90, 2e-2, flops=2e8, contestant="llm: sentiment-lora",
                model="sentiment-lora"),
    )


def test_emulate_cost_drops_the_constant_and_shows_spread_and_n(tmp_path, saved):
    rows = emulate_run()
    plot_emulate(rows[rows["task"] == "emulate"], tmp_path)
    fig = saved["emulate_cost"]
    left, right = fig.axes[:2]
    lines = [line for line in right.get_lines() if len(line.get_xdata())]
    assert all(set(line.get_ydata()) != {1.0} for line in lines)  # no "1 instruction per instruction" line
    assert {round(float(v)) for line in lines for v in line.get_ydata()} == {22500000, 25000000, 15000000}
    assert any(c.__class__.__name__ == "LineCollection" for c in left.collections)  # IQR bars
    assert [t.get_text() for t in left.get_xticklabels()] == ["4\nn=100", "8\nn=100", "16\nn=100"]
    assert left.get_xscale() == "log"
    plots.plot_accuracy(rows[rows["task"] == "emulate"], tmp_path)  # levels 4, 8, 16: a log2 axis everywhere
    assert saved["accuracy"].axes[0].get_xscale() == "log"


def test_a_figures_hardware_note_names_only_its_own_models():
    meta = {"sides": {"llm": {"info": {"models": {
        "default-model": {"content_hash": "aaa", "dtype": "float32", "device": "cpu", "n_params": 10 ** 6},
        "sentiment-lora": {"content_hash": "bbb", "dtype": "float32", "device": "cpu", "n_params": 2 * 10 ** 7}}}}}}
    summary = emulate_run()
    everything = hardware_line(meta)
    emulate = hardware_line(meta, models_in(summary[summary["task"] == "emulate"]))
    assert "default-model" in everything and "sentiment-lora" in everything
    assert "default-model" in emulate and "sentiment-lora" not in emulate
    assert "model:" not in hardware_line(meta, models_in(summary[summary["backend"] == "isa"]))


def test_the_gpt3_suite_figure_names_cells_and_shows_the_papers_figures(tmp_path, saved):
    from bench.figures import cell_names
    from bench.plots_suite import plot_suite
    from bench.suites import SUITES

    rows = []
    for task, levels in SUITES["gpt3-arithmetic"].items():
        for d in levels:
            rows += records(task, d, "isa", 20, 20, 1e-6 * d, steps=50)
            rows += records(task, d, "hybrid", 20, 10, 1e-1 * d, flops=3e10, steps=4)
    summary = summary_of(rows)
    summary.loc[summary["backend"] == "hybrid", ["prompt_format", "shots"]] = ["gpt3", 4]
    plot_suite(summary, tmp_path, "gpt3-arithmetic")
    plots.plot_accuracy(summary, tmp_path, ticks=cell_names(summary))  # as plot_all draws it for a suite run
    ax = saved["suite"].axes[0]
    ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert ticks == ["2D+", "2D-", "3D+", "3D-", "4D+", "4D-", "5D+", "5D-", "2Dx", "1DC"]
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [PAPER_FEW_SHOT[c] for c in [("add", 2), ("sub", 2), ("add", 3), ("sub", 3), ("add", 4),
                                                   ("sub", 4), ("add", 5), ("sub", 5), ("mul", 2), ("expr", 3)]]
    assert "gpt3 prompt, 4-shot" in ax.get_title() and "n = 20" in ax.get_title()
    table = paper_table(summary)
    assert "Asked with the gpt3 prompt, 4-shot." in table
    assert table.index("| 2D- (sub 2)") < table.index("| 3D+ (add 3)")  # the paper's order, as in the figure
    measured = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert len(measured) == 2 * 4  # Wilson bars: two contestants x four tasks
    accuracy_ticks = [t.get_text() for t in saved["accuracy"].axes[0].get_xticklabels()]
    assert accuracy_ticks[0] == "2 (2D+)\nn=20"  # the generic figure names the cells too
    add = summary[summary["task"] == "add"]
    assert "suite.png" in {p.name for p in plot_all(add, tmp_path / "all", suite="gpt3-arithmetic")}
    assert "suite.png" not in {p.name for p in plot_all(add, tmp_path / "plain")}
