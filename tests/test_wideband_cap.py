"""The cap on the automatic rate: ``mbot train --max-sample-rate`` (what the CPU allows).

Mixed folders as in ``test_wideband.py``: the data earns a rung; the cap lowers it to the
highest rung at or below it and the reason (start line, config.json) says both.
"""

from __future__ import annotations

import pytest
from test_wideband import _folder

from mockingbot.bandwidth import choose_rate, measure_files
from mockingbot.datascan import scan_audio_files
from mockingbot.errors import ParameterError


@pytest.mark.parametrize(
    ("counts", "cap", "rate", "reason"),
    [
        ({"wide44": 3, "n8": 2}, 16000, 16000, "3 of 5 files reach 32 kHz; capped at 16 kHz"),
        ({"wide44": 3, "n8": 2}, 30000, 22050, "3 of 5 files reach 32 kHz; capped at 22.05 kHz"),
        ({"wide44": 1, "n16": 2, "n8": 2}, 22050, 16000, "3 of 5 files reach 16 kHz"),
        ({"wide44": 2, "n8": 3}, 8000, 8000, "5 of 5 files reach 8 kHz"),
        ({"wide44": 3, "n8": 2}, 32000, 32000, "3 of 5 files reach 32 kHz"),
    ],
)
def test_cap_on_mixed_folders(tmp_path, counts: dict, cap: int, rate: int, reason: str) -> None:
    files = measure_files(scan_audio_files(_folder(tmp_path, counts)))
    choice = choose_rate(files, max_rate=cap)
    assert choice.rate == rate
    assert choice.reason() == reason + (" by --max-sample-rate" if "capped" in reason else "")
    assert ("capped" in reason) == (choice.data_rate is not None)


def test_cap_below_the_ladder_is_one_clear_error() -> None:
    with pytest.raises(ParameterError, match="below the lowest rung"):
        choose_rate([], max_rate=4000)


def test_data_rate_says_it_was_capped(tmp_path) -> None:
    from mockingbot.cli.train import _data_rate

    rate, why = _data_rate(_folder(tmp_path, {"wide44": 2, "n8": 1}), 16000)
    assert (rate, why) == (
        16000,
        "from the data: 2 of 3 files reach 32 kHz; capped at 16 kHz by --max-sample-rate",
    )


def test_max_sample_rate_with_sample_rate_exits_2(tmp_path) -> None:
    pytest.importorskip("tensorflow")
    from typer.testing import CliRunner

    from mockingbot.cli.main import app

    data = _folder(tmp_path / "data", {"n8": 1})
    out = ["-o", str(tmp_path / "run")]
    both = ["--sample-rate", "16000", "--max-sample-rate", "16000"]
    r = CliRunner().invoke(app, ["train", str(data), *out, *both])
    assert r.exit_code == 2 and "cannot go with --sample-rate" in r.output
    r = CliRunner().invoke(app, ["train", str(data), *out, "--max-sample-rate", "4000"])
    assert r.exit_code == 2 and "at least the lowest rung, 8000 Hz" in r.output
    assert not (tmp_path / "run").exists()
