"""Creatures and variations in latent space: determinism, distribution, the manifest inverse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockingbot.defaults import DEFAULT_SIZE_RANGE, SIZE_LIMITS
from mockingbot.errors import ParameterError
from mockingbot.runtime import latents as lat

DIM = 16


def test_creature_center_is_a_pure_function_of_seed_and_index() -> None:
    a = lat.creature_center(5, 3, latent_dim=DIM)
    assert a.shape == (DIM,)
    np.testing.assert_array_equal(a, lat.creature_center(5, 3, latent_dim=DIM))
    assert not np.array_equal(a, lat.creature_center(5, 4, latent_dim=DIM))
    assert not np.array_equal(a, lat.creature_center(6, 3, latent_dim=DIM))


def test_latent_seed_is_pinned_so_packs_never_change_silently() -> None:
    # If these values change, every pack ever rendered would re-render differently.
    assert lat.latent_seed(0, 0, 0) == 164525120887179
    assert lat.creature_center(0, 0, latent_dim=4)[0] == 0.7859067677198036
    assert lat.variation_noise(1, latent_dim=2)[1] == 0.8216181435011584
    seeds = {lat.latent_seed(1, c, v) for c in range(20) for v in range(20)}
    assert len(seeds) == 400
    assert all(0 <= s < 2**53 for s in seeds)


@given(
    items=st.lists(
        st.tuples(st.integers(0, 50), st.integers(0, 30)), min_size=1, max_size=12, unique=True
    ),
    seed=st.integers(0, 2**40),
)
@settings(max_examples=25, deadline=None)
def test_each_latent_depends_only_on_its_own_creature_and_variation(items, seed) -> None:
    z = lat.sound_latents(seed, items, latent_dim=DIM, spread=0.35)
    assert z.shape == (len(items), DIM) and z.dtype == np.float32
    for i, item in enumerate(items):
        alone = lat.sound_latents(seed, [item], latent_dim=DIM, spread=0.35)
        np.testing.assert_array_equal(z[i], alone[0])
    reversed_z = lat.sound_latents(seed, items[::-1], latent_dim=DIM, spread=0.35)
    np.testing.assert_array_equal(z, reversed_z[::-1])


def test_variations_keep_the_standard_normal_marginal_and_the_stated_correlation() -> None:
    spread = 0.35
    items = [(c, v) for c in range(200) for v in range(10)]
    z = lat.sound_latents(11, items, latent_dim=DIM, spread=spread).astype(np.float64)
    assert abs(z.mean()) < 0.03
    assert abs(z.std() - 1.0) < 0.03
    centers = np.stack([lat.creature_center(11, c, latent_dim=DIM) for c, _ in items])
    corr = np.corrcoef(z.ravel(), centers.ravel())[0, 1]
    assert abs(corr - math.sqrt(1 - spread**2)) < 0.01
    # Two variations of one creature correlate at 1 − s².
    pairs = z.reshape(200, 10, DIM)
    corr_vv = np.corrcoef(pairs[:, 0].ravel(), pairs[:, 1].ravel())[0, 1]
    assert abs(corr_vv - (1 - spread**2)) < 0.03


def test_spread_zero_repeats_the_creature_and_spread_one_forgets_it() -> None:
    c = lat.creature_center(2, 0, latent_dim=DIM)
    z0 = lat.sound_latents(2, [(0, 0), (0, 1)], latent_dim=DIM, spread=0.0)
    np.testing.assert_allclose(z0[0], c.astype(np.float32))
    np.testing.assert_array_equal(z0[0], z0[1])
    z1 = lat.sound_latents(2, [(0, 0)], latent_dim=DIM, spread=1.0)[0]
    noise = lat.variation_noise(lat.latent_seed(2, 0, 0), latent_dim=DIM)
    np.testing.assert_allclose(z1, noise.astype(np.float32))


def test_uniform_models_get_uniform_latents() -> None:
    items = [(c, v) for c in range(100) for v in range(10)]
    z = lat.sound_latents(3, items, latent_dim=DIM, spread=0.35, distribution="uniform")
    assert z.min() > -1.0 and z.max() < 1.0
    assert abs(z.mean()) < 0.03
    assert abs(z.var() - 1 / 3) < 0.02  # variance of U(-1, 1)
    with pytest.raises(ParameterError, match="latent distribution"):
        lat.to_model_space(np.zeros(3), distribution="cauchy")


def test_creature_traits_are_deterministic_rounded_and_in_range() -> None:
    traits = [lat.creature_traits(9, c) for c in range(300)]
    assert traits[7] == lat.creature_traits(9, 7)
    sizes = np.array([t.size for t in traits])
    assert sizes.min() >= DEFAULT_SIZE_RANGE[0] and sizes.max() <= DEFAULT_SIZE_RANGE[1]
    # Log-uniform: about half the creatures are smaller than the geometric mean.
    geo = math.sqrt(DEFAULT_SIZE_RANGE[0] * DEFAULT_SIZE_RANGE[1])
    assert 0.4 < (sizes < geo).mean() < 0.6
    for t in traits:
        assert lat.PITCH_JITTER_RANGE[0] <= t.random_pitch <= lat.PITCH_JITTER_RANGE[1]
        lo, hi = lat.VOLUME_JITTER_DB_RANGE
        assert lo <= t.random_volume_offset_db <= hi
        assert t.size == round(t.size, 4) and t.random_pitch == round(t.random_pitch, 3)


def test_default_creature_traits_are_pinned_so_default_packs_never_change() -> None:
    # The values packs rendered before --size-range existed got; they must stay.
    assert lat.creature_traits(0, 0) == lat.CreatureTraits(1.353, 1.053, 1.496)
    assert lat.creature_traits(0, 1) == lat.CreatureTraits(1.0833, 1.086, 1.433)
    assert lat.creature_traits(0, 2) == lat.creature_traits(0, 2, size_range=(0.75, 1.4))
    assert lat.creature_traits(0, 2).size == 0.7755


def test_an_equal_size_range_gives_every_creature_exactly_that_size() -> None:
    for size in (1.0, 0.25, 4.0, 1.23456):
        traits = [lat.creature_traits(3, c, size_range=(size, size)) for c in range(50)]
        assert {t.size for t in traits} == {size}
        assert all(type(t.size) is float for t in traits)


def test_a_size_range_moves_the_sizes_and_nothing_else() -> None:
    default = [lat.creature_traits(9, c) for c in range(300)]
    wide = [lat.creature_traits(9, c, size_range=(0.5, 2.0)) for c in range(300)]
    assert [(t.random_pitch, t.random_volume_offset_db) for t in wide] == [
        (t.random_pitch, t.random_volume_offset_db) for t in default
    ]
    sizes = np.array([t.size for t in wide])
    assert sizes.min() >= 0.5 and sizes.max() <= 2.0
    assert sizes.min() < 0.55 and sizes.max() > 1.8  # the whole range is used
    assert 0.4 < (sizes < 1.0).mean() < 0.6  # log-uniform: 1 is the geometric mean
    # The same uniform draw places each creature: a smaller creature stays smaller.
    d = np.array([t.size for t in default])
    assert np.all(~(d[:, None] < d[None, :]) | (sizes[:, None] <= sizes[None, :]))


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(SIZE_LIMITS[0], SIZE_LIMITS[1]),
    b=st.floats(SIZE_LIMITS[0], SIZE_LIMITS[1]),
    creature=st.integers(0, 10_000),
)
def test_sizes_stay_inside_any_allowed_range(a: float, b: float, creature: int) -> None:
    lo, hi = min(a, b), max(a, b)
    t = lat.creature_traits(1, creature, size_range=(lo, hi))
    assert lo <= t.size <= hi
    assert t.random_pitch == lat.creature_traits(1, creature).random_pitch


def test_size_limits_are_what_post_processing_accepts() -> None:
    # One home (defaults.SIZE_LIMITS): post-processing takes sizes up to its ends, not beyond.
    from mockingbot.runtime import postprocess

    clip = np.zeros(64)
    for size in SIZE_LIMITS:
        postprocess.change_size(clip, sr=8000, size=size)
    for size in (SIZE_LIMITS[0] * 0.99, SIZE_LIMITS[1] * 1.01):
        with pytest.raises(ParameterError, match="size"):
            postprocess.change_size(clip, sr=8000, size=size)
    assert SIZE_LIMITS[0] <= DEFAULT_SIZE_RANGE[0] <= DEFAULT_SIZE_RANGE[1] <= SIZE_LIMITS[1]


@pytest.mark.parametrize(
    ("size_range", "message"),
    [
        ((2.0, 1.0), "MIN must not exceed MAX"),
        ((0.0, 1.0), "between 0.25 and 4"),
        ((0.2, 1.0), "between 0.25 and 4"),
        ((1.0, 4.5), "between 0.25 and 4"),
        ((float("nan"), 1.0), "between 0.25 and 4"),
        ((1.0, float("inf")), "between 0.25 and 4"),
        ((1.0,), "two sizes"),
        ("ab", "two numbers"),
        (1.0, "two sizes"),
        ((True, 1.0), "two numbers"),
    ],
)
def test_bad_size_ranges_are_refused(size_range, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        lat.creature_traits(0, 0, size_range=size_range)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lat.creature_center(-1, 0, latent_dim=DIM), "seed"),
        (lambda: lat.creature_center(2**53, 0, latent_dim=DIM), "seed"),
        (lambda: lat.creature_center(True, 0, latent_dim=DIM), "seed"),
        (lambda: lat.latent_seed(0, -1, 0), "creature"),
        (lambda: lat.latent_seed(0, 0, 1.5), "variation"),
        (lambda: lat.mix(np.zeros(2), np.zeros(2), spread=1.5), "spread"),
        (lambda: lat.mix(np.zeros(2), np.zeros(2), spread=float("nan")), "spread"),
        (lambda: lat.sound_latent(np.zeros(3), 1, spread=0.3, latent_dim=DIM), "center"),
    ],
)
def test_bad_values_are_refused_with_their_name(call, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        call()


def _manifest(seed: int, spread: float) -> dict:
    ls = lat.latent_seed
    return {
        "seed": seed,
        "arguments": {"spread": spread},
        "creatures": [
            {"id": "creature_000", "index": 0},
            {"id": "creature_001", "index": 1},
            {"id": "creature_002", "index": 2, "parent": "creature_001_v01", "spread": 0.2},
            {"id": "creature_003", "index": 3, "parent": "creature_002_v00", "spread": 0.1},
        ],
        "sounds": [
            {"id": "creature_000_v00", "creature": "creature_000", "latent_seed": ls(seed, 0, 0)},
            {"id": "creature_001_v01", "creature": "creature_001", "latent_seed": ls(seed, 1, 1)},
            {"id": "creature_002_v00", "creature": "creature_002", "latent_seed": ls(seed, 2, 0)},
            {"id": "creature_003_v04", "creature": "creature_003", "latent_seed": ls(seed, 3, 4)},
        ],
    }


def test_latent_from_manifest_rebuilds_pack_sounds_and_mutations_of_mutations() -> None:
    m = _manifest(seed=4, spread=0.3)
    got = lat.latent_from_manifest(m, "creature_001_v01", latent_dim=DIM)
    want = lat.sound_latents(4, [(1, 1)], latent_dim=DIM, spread=0.3)[0]
    np.testing.assert_allclose(got.astype(np.float32), want)
    # creature_003 varies creature_002_v00, which varies creature_001_v01.
    parent = lat.sound_latent(got, lat.latent_seed(4, 2, 0), spread=0.2, latent_dim=DIM)
    child = lat.sound_latent(parent, lat.latent_seed(4, 3, 4), spread=0.1, latent_dim=DIM)
    np.testing.assert_array_equal(
        lat.latent_from_manifest(m, "creature_003_v04", latent_dim=DIM), child
    )
    with pytest.raises(ParameterError, match="no sound"):
        lat.latent_from_manifest(m, "creature_009_v00", latent_dim=DIM)


def test_sound_latents_with_a_given_center_is_what_mutate_renders() -> None:
    """``centers`` replaces a creature's own center (mutate: the liked sound's latent);
    other creatures keep theirs."""
    center = lat.latent_from_manifest(
        _manifest(seed=4, spread=0.3), "creature_001_v01", latent_dim=DIM
    )
    z = lat.sound_latents(
        4, [(9, 0), (9, 1), (2, 0)], latent_dim=DIM, spread=0.25, centers={9: center}
    )
    for row, (c, v) in zip(z[:2], [(9, 0), (9, 1)], strict=True):
        want = lat.sound_latent(center, lat.latent_seed(4, c, v), spread=0.25, latent_dim=DIM)
        np.testing.assert_array_equal(row, want.astype(np.float32))
    own = lat.sound_latents(4, [(2, 0)], latent_dim=DIM, spread=0.25)[0]
    np.testing.assert_array_equal(z[2], own)


def test_latent_from_manifest_refuses_a_parent_cycle() -> None:
    m = _manifest(seed=4, spread=0.3)
    m["creatures"][2]["parent"] = "creature_003_v04"
    with pytest.raises(ParameterError, match="cycle"):
        lat.latent_from_manifest(m, "creature_003_v04", latent_dim=DIM)


# ---------------------------------------------------------------------------- texture noise
#: texture_noise(1, 4)[3] and texture_noise(164525120887179, 2)[0], as first computed.
PINNED_TEXTURE = (-0.7972021102905273, 0.11841262876987457)


def test_texture_noise_is_pinned_so_waveform_packs_never_change_silently() -> None:
    assert float(lat.texture_noise(1, 4)[3]) == PINNED_TEXTURE[0]
    assert float(lat.texture_noise(164525120887179, 2)[0]) == PINNED_TEXTURE[1]


def test_texture_noise_is_float32_standard_normal_and_a_pure_function_of_the_seed() -> None:
    seed = lat.latent_seed(3, 1, 2)
    y = lat.texture_noise(seed, 16384)
    assert y.shape == (16384,) and y.dtype == np.float32
    assert abs(float(y.mean())) < 0.05 and abs(float(y.std()) - 1.0) < 0.05
    np.testing.assert_array_equal(y, lat.texture_noise(seed, 16384))
    np.testing.assert_array_equal(y[:100], lat.texture_noise(seed, 100))  # a prefix
    assert not np.array_equal(y, lat.texture_noise(lat.latent_seed(3, 1, 3), 16384))


def test_texture_noise_is_independent_of_the_variation_noise_of_the_same_seed() -> None:
    seed = lat.latent_seed(0, 0, 0)
    eps = lat.variation_noise(seed, latent_dim=64).astype(np.float32)
    tex = lat.texture_noise(seed, 64)
    assert not np.allclose(eps, tex)
    assert (
        abs(
            float(
                np.corrcoef(
                    lat.variation_noise(seed, latent_dim=4096), lat.texture_noise(seed, 4096)
                )[0, 1]
            )
        )
        < 0.1
    )


def test_texture_noises_stacks_rows_that_do_not_depend_on_their_neighbours() -> None:
    seeds = [lat.latent_seed(9, c, v) for c in range(3) for v in range(2)]
    block = lat.texture_noises(seeds, 256)
    assert block.shape == (6, 256) and block.dtype == np.float32
    for i, seed in enumerate(seeds):
        np.testing.assert_array_equal(block[i], lat.texture_noise(seed, 256))
    np.testing.assert_array_equal(lat.texture_noises(seeds[::-1], 256), block[::-1])
    assert lat.texture_noises([], 256).shape == (0, 256)


@pytest.mark.parametrize(
    ("args", "message"), [((-1, 8), "seed"), ((2**53, 8), "seed"), ((1, -4), "n_samples")]
)
def test_texture_noise_refuses_bad_seeds_and_lengths(args, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        lat.texture_noise(*args)
