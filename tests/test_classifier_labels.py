"""A classifier whose head names other labels than the task's fails before work: exit 2, no folder (issue 24 item 12;
it used to leave .lock, an empty records.jsonl and meta.json behind and exit 1)."""
from __future__ import annotations

import json

from bench import cli
from tiny_encoder import make_tiny_encoder


def test_a_head_with_other_labels_fails_before_the_folder_exists(tmp_path, capsys):
    model = make_tiny_encoder(tmp_path / "clf", head=True)
    config = json.loads((model / "config.json").read_text())
    config["id2label"], config["label2id"] = {"0": "LABEL_0", "1": "LABEL_1"}, {"LABEL_0": 0, "LABEL_1": 1}
    (model / "config.json").write_text(json.dumps(config))
    out = tmp_path / "R"
    code = cli.main(["run", "--tasks", "sentiment", "--backends", "llm", "--model", str(model), "--device", "cpu",
                     "--n", "4", "--out", str(out), "--quiet"])
    assert code == 2
    assert "head names ['LABEL_0', 'LABEL_1'], not sentiment's labels" in capsys.readouterr().err
    assert not out.exists()
