"""Creatures and their variations: where every sound of a pack sits in latent space.

A *creature* is one point ``c`` drawn from the generator's latent distribution; it gives
the creature its voice. Its *variations* are nearby points

    z = sqrt(1 − s²) · c + s · ε,    ε ~ N(0, I) drawn independently per variation,

with ``s`` the *spread* (0 = every variation identical, 1 = unrelated sounds). For a normal
latent distribution this mixing keeps the marginal distribution exactly N(0, I), so a
variation is as "typical" a latent as its creature and the generator never sees points
off the distribution it was trained on, while ``corr(z, c) = sqrt(1 − s²)`` controls how
much of the creature's voice it keeps (s = 0.35 keeps ≈ 94 %). Two variations of one
creature correlate at ``1 − s²``. For a uniform U(−1, 1) latent the same mixing happens in
Gaussian space and is mapped through ``2·Φ(x) − 1`` (an exact map from N(0, 1) onto
U(−1, 1)), which keeps that marginal exact too.

Each creature also gets traits drawn once: a *size* (log-uniform over a size range, default
:data:`~mockingbot.defaults.DEFAULT_SIZE_RANGE`, passed to post-processing as a pitch/formant
scale so a pack holds small and large animals) and the jitter Godot's
``AudioStreamRandomizer`` applies at play time (``random_pitch``, ``random_volume_offset_db``).
The three come from three separate uniform draws, so choosing another size range moves only
the sizes, never the jitter or the latents.

Determinism: every number here is a pure function of ``(pack seed, creature index,
variation index)`` through numpy's :class:`~numpy.random.SeedSequence` spawn keys, never of
batch order, shard, resume point or thread count. Each sound's own noise comes from a
*latent seed* (an integer < 2**53 so JSON readers that parse numbers as doubles — Godot,
JavaScript — keep it exact) stored in the pack manifest; :func:`sound_latent` rebuilds the
latent from it. A waveform model also takes noise for its noise branch;
:func:`texture_noise` draws it from the same latent seed (on an independent stream), so a
sound's audio, too, is rebuilt from its manifest entry alone.

Contents:

- :class:`CreatureTraits`, :func:`creature_traits` — size and play-time jitter.
- :func:`validate_size_range` — check a ``(MIN, MAX)`` creature size range.
- :func:`creature_center` — the creature's point ``c`` (Gaussian space).
- :func:`latent_seed`, :func:`variation_noise`, :func:`mix` — one variation.
- :func:`texture_noise`, :func:`texture_noises` — a model's noise input for a sound.
- :func:`sound_latent`, :func:`sound_latents` — latents ready for the generator.
- :func:`to_model_space` — Gaussian space → the model's latent distribution.
- :func:`latent_from_manifest` — the inverse: a pack sound's latent from its manifest.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mockingbot.defaults import DEFAULT_SIZE_RANGE, LATENT_DISTRIBUTIONS, MAX_SEED, SIZE_LIMITS
from mockingbot.errors import ParameterError
from mockingbot.validation import as_float, as_int, one_of

__all__ = [
    "PITCH_JITTER_RANGE",
    "VOLUME_JITTER_DB_RANGE",
    "CreatureTraits",
    "creature_center",
    "creature_traits",
    "latent_from_manifest",
    "latent_seed",
    "mix",
    "sound_latent",
    "sound_latents",
    "texture_noise",
    "texture_noises",
    "to_model_space",
    "validate_seed",
    "validate_size_range",
    "validate_spread",
    "variation_noise",
]

#: Range of Godot's ``random_pitch`` per creature (pitch drawn from [1/r, r] at play time).
PITCH_JITTER_RANGE = (1.02, 1.10)
#: Range of Godot's ``random_volume_offset_db`` per creature (offset drawn from [−v, v] dB).
VOLUME_JITTER_DB_RANGE = (0.5, 2.0)

# Spawn-key domains: each kind of random number gets its own independent stream.
_KEY_CENTER = 0
_KEY_TRAITS = 1
_KEY_SOUND = 2
_SEED_MASK = 2**53 - 1
#: Spawn key of a sound's texture noise, under its latent seed. ``variation_noise`` uses the
#: latent seed's root stream (no spawn key), so this stream is independent of it.
_KEY_TEXTURE = 1


@dataclasses.dataclass(frozen=True)
class CreatureTraits:
    """Per-creature values that are not latents.

    Attributes:
        size: pitch/formant scale for post-processing, in the pack's size range
            (default :data:`~mockingbot.defaults.DEFAULT_SIZE_RANGE`).
        random_pitch: Godot ``AudioStreamRandomizer.random_pitch`` (≥ 1).
        random_volume_offset_db: Godot ``random_volume_offset_db`` (≥ 0 dB).
    """

    size: float
    random_pitch: float
    random_volume_offset_db: float


# ---------------------------------------------------------------------------- validation
def validate_seed(seed: object) -> int:
    """Return ``seed`` as an int in [0, MAX_SEED], or raise :class:`ParameterError`.

    The upper bound is checked here so the message prints it in full, not as ``9.0072e+15``.
    """
    value = as_int("seed", seed)
    if not 0 <= value <= MAX_SEED:
        raise ParameterError(f"seed must be between 0 and {MAX_SEED}, got {seed}")
    return value


def validate_spread(spread: object) -> float:
    """Return ``spread`` as a float in [0, 1], or raise :class:`ParameterError`."""
    return as_float("spread", spread, low=0.0, high=1.0)


def validate_size_range(size_range: object, *, name: str = "size range") -> tuple[float, float]:
    """Return ``size_range`` as ``(MIN, MAX)`` floats, or raise :class:`ParameterError`.

    A size range is two numbers with ``SIZE_LIMITS[0] ≤ MIN ≤ MAX ≤ SIZE_LIMITS[1]``;
    ``MIN == MAX`` gives every creature exactly that size (``(1, 1)``: the model's natural
    size, what evaluation wants). ``name`` is how the message calls it (e.g.
    ``"--size-range"``).

    Examples:
        >>> validate_size_range([1, 1])
        (1.0, 1.0)
    """
    lo_ok, hi_ok = SIZE_LIMITS
    try:
        lo, hi = size_range  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be two sizes (MIN, MAX), got {size_range!r}") from None
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ParameterError(f"{name} must be two numbers (MIN, MAX), got {size_range!r}")
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo_ok <= lo and hi <= hi_ok):
        raise ParameterError(
            f"{name} {lo:g}:{hi:g}: sizes must be between {lo_ok:g} and {hi_ok:g} "
            "(0.5 = an octave higher, 2 = an octave lower)"
        )
    if lo > hi:
        raise ParameterError(f"{name} {lo:g}:{hi:g}: MIN must not exceed MAX")
    return (lo, hi)


def _check_index(name: str, value: object) -> int:
    return as_int(name, value, low=0)


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


# ---------------------------------------------------------------------------- creatures
def creature_center(seed: int, creature: int, *, latent_dim: int) -> np.ndarray:
    """The creature's point ``c`` in Gaussian space, float64 [latent_dim].

    Examples:
        >>> creature_center(0, 3, latent_dim=4).shape
        (4,)
    """
    seed = validate_seed(seed)
    creature = _check_index("creature", creature)
    return _rng(seed, _KEY_CENTER, creature).standard_normal(int(latent_dim))


def creature_traits(
    seed: int, creature: int, *, size_range: tuple[float, float] = DEFAULT_SIZE_RANGE
) -> CreatureTraits:
    """Size and play-time jitter of a creature, a pure function of ``(seed, creature)``.

    Three uniforms ``u0, u1, u2`` are drawn for every creature whatever the size range;
    the size is ``MIN · (MAX / MIN) ** u0`` (log-uniform) and the jitter uses ``u1`` and
    ``u2``, so a different ``size_range`` changes the sizes and nothing else.

    Values are rounded (size to 4 decimals, then kept inside ``size_range``; jitter to 3)
    so the manifest and ``.tres`` files print them exactly and post-processing uses exactly
    what the manifest says. With ``MIN == MAX`` every size is exactly ``MIN``.

    Args:
        seed: the pack seed.
        creature: the creature index.
        size_range: ``(MIN, MAX)`` of the log-uniform size, see :func:`validate_size_range`.

    Examples:
        >>> creature_traits(0, 3, size_range=(1.0, 1.0)).size
        1.0
    """
    seed = validate_seed(seed)
    creature = _check_index("creature", creature)
    lo, hi = validate_size_range(size_range)
    u = _rng(seed, _KEY_TRAITS, creature).random(3)
    size = math.exp(math.log(lo) + u[0] * (math.log(hi) - math.log(lo)))
    size = min(max(round(size, 4), lo), hi)
    pitch = PITCH_JITTER_RANGE[0] + u[1] * (PITCH_JITTER_RANGE[1] - PITCH_JITTER_RANGE[0])
    vol = VOLUME_JITTER_DB_RANGE[0] + u[2] * (VOLUME_JITTER_DB_RANGE[1] - VOLUME_JITTER_DB_RANGE[0])
    return CreatureTraits(
        size=size, random_pitch=round(pitch, 3), random_volume_offset_db=round(vol, 3)
    )


# ---------------------------------------------------------------------------- variations
def latent_seed(seed: int, creature: int, variation: int) -> int:
    """The integer (< 2**53) that seeds one sound's variation noise; stored in the manifest."""
    seed = validate_seed(seed)
    creature = _check_index("creature", creature)
    variation = _check_index("variation", variation)
    ss = np.random.SeedSequence(seed, spawn_key=(_KEY_SOUND, creature, variation))
    return int(ss.generate_state(1, np.uint64)[0]) & _SEED_MASK


def variation_noise(latent_seed_: int, *, latent_dim: int) -> np.ndarray:
    """The noise ``ε`` of one sound, float64 [latent_dim], from its latent seed."""
    return np.random.Generator(np.random.PCG64(int(latent_seed_))).standard_normal(int(latent_dim))


def texture_noise(latent_seed_: int, n_samples: int) -> np.ndarray:
    """The noise a waveform model's noise branch gets for one sound: float32 [n_samples], N(0, 1).

    A pure function of the sound's latent seed (PCG64 seeded by
    ``SeedSequence(latent_seed, spawn_key=(1,))``, a stream independent of
    :func:`variation_noise`'s), never of batch, shard or thread, so waveform packs stay
    byte-identical however they are rendered, and ``mbot mutate`` or any reader of the
    manifest can rebuild a sound exactly.

    Args:
        latent_seed_: the sound's latent seed (:func:`latent_seed`), 0 ≤ seed < 2**53.
        n_samples: samples, the spec's ``clip_samples``.

    Examples:
        >>> y = texture_noise(12345, 4096)
        >>> y.shape, y.dtype
        ((4096,), dtype('float32'))
        >>> bool((texture_noise(12345, 8) == y[:8]).all())
        True
    """
    seed = validate_seed(latent_seed_)
    n = _check_index("n_samples", n_samples)
    ss = np.random.SeedSequence(seed, spawn_key=(_KEY_TEXTURE,))
    return np.random.Generator(np.random.PCG64(ss)).standard_normal(n, dtype=np.float32)


def texture_noises(latent_seeds: list[int], shape: int | tuple[int, ...]) -> np.ndarray:
    """:func:`texture_noise` of several sounds, float32 [len(latent_seeds), *shape].

    ``shape`` is the model's per-sound noise shape (``ModelMeta.noise_shape``): a waveform
    model's ``clip_samples``, or a full-resolution model's [n_frames, n_bins, 2]; each sound's
    draws fill it in C order.
    """
    dims = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))
    n = int(np.prod(dims))
    out = np.empty((len(latent_seeds), n), dtype=np.float32)
    for i, seed in enumerate(latent_seeds):
        out[i] = texture_noise(seed, n)
    return out.reshape(len(latent_seeds), *dims)


def mix(center: np.ndarray, noise: np.ndarray, *, spread: float) -> np.ndarray:
    """``sqrt(1 − s²)·center + s·noise``: a point near ``center`` with the same marginal law."""
    s = validate_spread(spread)
    return math.sqrt(1.0 - s * s) * np.asarray(center) + s * np.asarray(noise)


def to_model_space(g: np.ndarray, *, distribution: str) -> np.ndarray:
    """Map Gaussian-space latents to the model's latent distribution, as float32.

    Args:
        g: latents in Gaussian space, any shape.
        distribution: ``"normal"`` (identity) or ``"uniform"`` (``2·Φ(g) − 1`` ∈ (−1, 1)).
    """
    one_of("latent distribution", distribution, LATENT_DISTRIBUTIONS)
    g = np.asarray(g, dtype=np.float64)
    if distribution == "uniform":
        from scipy.special import ndtr

        return (2.0 * ndtr(g) - 1.0).astype(np.float32)
    return g.astype(np.float32)


def sound_latent(
    center: np.ndarray, latent_seed_: int, *, spread: float, latent_dim: int
) -> np.ndarray:
    """Gaussian-space latent of one sound from its center and latent seed, float64.

    ``center`` is :func:`creature_center` for a pack's creatures, or the Gaussian-space
    latent of the parent sound for creatures made by ``mbot mutate`` — the same formula
    both ways, which is what lets mutate regenerate any sound from its manifest entry.
    """
    center = np.asarray(center, dtype=np.float64)
    if center.shape != (int(latent_dim),):
        raise ParameterError(f"center must have shape ({latent_dim},), got {center.shape}")
    return mix(center, variation_noise(latent_seed_, latent_dim=latent_dim), spread=spread)


def sound_latents(
    seed: int,
    items: Sequence[tuple[int, int]],
    *,
    latent_dim: int,
    spread: float,
    distribution: str = "normal",
    centers: Mapping[int, np.ndarray] | None = None,
) -> np.ndarray:
    """Model-space latents, float32 [len(items), latent_dim], for ``(creature, variation)`` pairs.

    Row ``i`` depends only on ``(seed, items[i])`` — never on the other rows — so any
    batching or sharding of a pack gives every sound the same latent. This is the one place
    that turns pack coordinates into generator input: the pack renderer calls it batch by
    batch, ``mbot mutate`` with its own ``centers``.

    Args:
        seed: the pack seed.
        items: ``(creature, variation)`` pairs.
        latent_dim: the model's latent size.
        spread: how far variations stray from their creature (0–1).
        distribution: the model's latent distribution (``normal`` or ``uniform``).
        centers: Gaussian-space centers that replace :func:`creature_center` for the
            creatures they name (``mbot mutate``: the liked sound's latent); the others
            use :func:`creature_center`.

    Examples:
        >>> z = sound_latents(7, [(0, 0), (0, 1), (1, 0)], latent_dim=16, spread=0.35)
        >>> z.shape, z.dtype
        ((3, 16), dtype('float32'))
    """
    spread = validate_spread(spread)
    known: dict[int, np.ndarray] = dict(centers or {})
    rows = []
    for creature, variation in items:
        if creature not in known:
            known[creature] = creature_center(seed, creature, latent_dim=latent_dim)
        ls = latent_seed(seed, creature, variation)
        rows.append(sound_latent(known[creature], ls, spread=spread, latent_dim=latent_dim))
    g = np.stack(rows) if rows else np.zeros((0, int(latent_dim)))
    return to_model_space(g, distribution=distribution)


def latent_from_manifest(
    manifest: Mapping[str, Any], sound_id: str, *, latent_dim: int
) -> np.ndarray:
    """Rebuild the Gaussian-space latent of a pack's sound from the pack manifest.

    A sound of an ordinary creature is ``mix(creature_center(seed, index), ε(latent_seed),
    spread=arguments.spread)``. A creature made by ``mbot mutate`` records ``parent`` (a
    sound id) and its own ``spread``; its center is the parent's latent, rebuilt the same way
    (recursively, so mutations of mutations work).

    Args:
        manifest: a parsed ``manifest.json`` (format version 1).
        sound_id: e.g. ``"creature_003_v07"``.
        latent_dim: the model's latent size.

    Returns:
        float64 [latent_dim]; pass it through :func:`to_model_space` before the generator.

    Raises:
        ParameterError: unknown sound id, or a manifest whose parent links are broken.
    """
    sounds = {s["id"]: s for s in manifest["sounds"]}
    creatures = {c["id"]: c for c in manifest["creatures"]}
    if sound_id not in sounds:
        raise ParameterError(f"the pack has no sound {sound_id!r} (ids look like creature_000_v00)")
    chain = []
    current = sound_id
    for _ in range(len(creatures) + 1):
        sound = sounds.get(current)
        creature = creatures.get(sound["creature"]) if sound else None
        if sound is None or creature is None:
            raise ParameterError(f"manifest: sound {current!r} or its creature is missing")
        chain.append((sound, creature))
        if creature.get("parent") is None:
            break
        current = creature["parent"]
    else:
        raise ParameterError(f"manifest: the parent links of {sound_id!r} form a cycle")
    root_sound, root = chain[-1]
    center = creature_center(int(manifest["seed"]), int(root["index"]), latent_dim=latent_dim)
    z = sound_latent(
        center,
        int(root_sound["latent_seed"]),
        spread=float(manifest["arguments"]["spread"]),
        latent_dim=latent_dim,
    )
    for sound, creature in reversed(chain[:-1]):
        z = sound_latent(
            z, int(sound["latent_seed"]), spread=float(creature["spread"]), latent_dim=latent_dim
        )
    return z
