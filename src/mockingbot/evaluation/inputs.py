"""Which clips ``mbot evaluate`` compares, and at what rate.

A generated set is a pack (its manifest lists the sounds, read by the runtime's own reader)
or any folder of audio; a reference set is a folder of audio. The two are compared at one
analysis rate (:func:`analysis_rate`): the rate of the model that made a pack, capped by the
rate the reference files hold. Kept apart from :mod:`~mockingbot.evaluation.report` so the
metrics module does not also own file discovery.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from ..datascan import scan_audio_files
from ..errors import AudioLoadError, DataError
from ..runtime.pack_format import MANIFEST, read_manifest

__all__ = ["AnalysisRate", "analysis_rate", "generated_files", "reference_files"]


# --------------------------------------------------------------------------- finding files
def _check_folder(folder: Path, what: str) -> Path:
    folder = Path(folder)
    if not folder.exists():
        raise DataError(f"{what} folder {folder} does not exist")
    if not folder.is_dir():
        raise DataError(f"{what} {folder} is not a folder")
    return folder


def generated_files(folder: Path) -> list[Path]:
    """The audio files of a generated set.

    A pack folder (one with ``manifest.json``) lists its sounds in ``"sounds"[].file``,
    relative to the folder, read and checked by the runtime's own manifest reader
    (:func:`mockingbot.runtime.pack_format.read_manifest`), so a manifest ``mbot verify``
    would call damaged is not evaluated either; otherwise every audio file under ``folder``
    counts (:func:`mockingbot.datascan.scan_audio_files`: recursive, hidden and temporary
    files excluded).

    Raises:
        DataError: ``folder`` is missing or not a folder.
        PackError: the manifest is not valid JSON, not a MockingBot pack's, or damaged.
    """
    folder = _check_folder(folder, "generated")
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return scan_audio_files(folder)
    return [folder / entry["file"] for entry in read_manifest(manifest)["sounds"]]


def reference_files(folder: Path) -> list[Path]:
    """Every audio file under a reference data folder (:func:`~.datascan.scan_audio_files`).

    Raises:
        DataError: ``folder`` is missing or not a folder.
    """
    return scan_audio_files(_check_folder(folder, "reference"))


# --------------------------------------------------------------------------- analysis rate
@dataclasses.dataclass(frozen=True)
class AnalysisRate:
    """The rate two sets are compared at, and where it came from.

    Attributes:
        rate: analysis sample rate (Hz).
        source: ``"--analysis-rate"``, ``"model"`` (a pack's model rate, within the
            reference's) or ``"reference"`` (the reference's rate caps it, or no model rate
            is known).
        model_rate: the pack's model rate (``manifest["spec"]["sr"]``), or None.
        reference_rate: the ladder rate the reference files hold, or None when not measured.
    """

    rate: int
    source: str
    model_rate: int | None = None
    reference_rate: int | None = None

    def reason(self) -> str:
        """One phrase for the summary and the JSON report."""
        if self.source == "--analysis-rate":
            return "--analysis-rate"
        ref = f"the reference holds {_khz(self.reference_rate)}"
        if self.model_rate is None:
            return f"{ref} (no model rate: not a pack)"
        if self.source == "model":
            return f"the model's rate ({_khz(self.model_rate)}); {ref}"
        return f"{ref}, below the model's {_khz(self.model_rate)}: compared where both have sound"


def _khz(rate: int | None) -> str:
    return "?" if rate is None else f"{rate / 1000:g} kHz"


def _reference_rung(paths: Sequence[Path]) -> int:
    """The highest ladder rung that a strict majority of ``paths``' own sample rates reach.

    Read from the headers (no decode); a file below the lowest rung counts as the lowest.
    """
    from ..audio import probe
    from ..spec import LADDER

    rates = [rate for rate, _ in LADDER]
    file_rates = []
    for path in paths:
        try:
            file_rates.append(int(probe(path).samplerate))
        except AudioLoadError:  # unreadable: measure_files rejects it with a reason
            continue
    for rate in reversed(rates):
        if 2 * sum(r >= rate for r in file_rates) > len(file_rates):
            return rate
    return rates[0]


def _model_rate(generated: Path) -> int | None:
    """The sample rate of the model that rendered a pack folder (its manifest's spec), or None."""
    manifest = Path(generated) / MANIFEST
    if not manifest.is_file():
        return None
    sr = read_manifest(manifest)["spec"].get("sr")
    return int(sr) if isinstance(sr, int) and not isinstance(sr, bool) else None


def analysis_rate(generated: Path, reference_paths: Sequence[Path]) -> AnalysisRate:
    """The default analysis rate of :func:`evaluate`.

    A pack is compared at its model's rate (the spec in its manifest), but never above the
    ladder rate the reference files hold (:data:`mockingbot.spec.LADDER`; the highest rung a
    strict majority of their sample rates reach): above it the reference has no sound, and
    the classifier would tell the sets apart by an empty band alone. A plain folder has no
    model rate and is compared at the reference's. An 8 kHz model against CatMeows (8 kHz)
    gets 8 kHz, the rate every earlier number was measured at.

    Raises:
        PackError: the pack's manifest is unreadable.
    """
    ref_rate = _reference_rung(reference_paths)
    model_rate = _model_rate(generated)
    if model_rate is not None and model_rate <= ref_rate:
        return AnalysisRate(model_rate, "model", model_rate, ref_rate)
    return AnalysisRate(ref_rate, "reference", model_rate, ref_rate)
