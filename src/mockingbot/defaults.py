"""Every user-facing default, limit and enumeration of mbot, in one module that imports nothing.

Why one home: the same number written in the CLI, the pack renderer and the post-processing
drifted apart (two loudness ranges, three lists of phase methods, a ``SIZE_RANGE`` that meant a
default in one module and limits in another). Why no imports: ``mbot --help`` and the option
parsing of every command read these, and must not pay for numpy or scipy to do it.

Naming: ``DEFAULT_*`` is what a command uses when the user says nothing; ``*_LIMITS`` is the
inclusive (low, high) range a value must lie in; plural nouns are enumerations, first entry
the default. Units are in the name (``_LUFS``, ``_DBFS``, ``_MS``, ``_HZ``).

>>> DEFAULT_SIZE_RANGE[0] >= SIZE_LIMITS[0] and DEFAULT_SIZE_RANGE[1] <= SIZE_LIMITS[1]
True
>>> PHASE_METHODS[0], AUDIO_FORMATS[0], LATENT_DISTRIBUTIONS[0], CONTEXTS[0]
('pghi', 'wav', 'normal', 'call')
"""

from __future__ import annotations

__all__ = [
    "AUDIO_FORMATS",
    "CONTEXTS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_COUNT",
    "DEFAULT_LOUDNESS_LUFS",
    "DEFAULT_MUTATE_SPREAD",
    "DEFAULT_OUTPUT_RATE_HZ",
    "DEFAULT_SIZE_RANGE",
    "DEFAULT_SPREAD",
    "DEFAULT_VARIATIONS",
    "FADE_MS",
    "LATENT_DISTRIBUTIONS",
    "LOUDNESS_LUFS_LIMITS",
    "MAX_COUNT",
    "MAX_DEFAULT_THREADS",
    "MAX_NAME_LENGTH",
    "MAX_SEED",
    "OUTPUT_RATE_HZ_LIMITS",
    "PEAK_CEILING_DBFS",
    "PEAK_CEILING_DBFS_LIMITS",
    "PHASE_METHODS",
    "SIZE_LIMITS",
    "TRIM_THRESHOLD_DB",
]

# --- packs (mbot render-pack)
#: Sounds in a pack when ``--count`` is not given.
DEFAULT_COUNT = 500
#: Largest pack one command renders (shards and merges go further).
MAX_COUNT = 1_000_000
#: Variations per creature when neither ``--variations`` nor ``--creatures`` decides it.
DEFAULT_VARIATIONS = 10
#: Sounds per inference batch; output does not depend on it.
DEFAULT_BATCH_SIZE = 32
#: Longest pack or model name, in characters.
MAX_NAME_LENGTH = 100

# --- levels (post-processing)
#: Integrated loudness (ITU-R BS.1770) every sound is normalised to.
DEFAULT_LOUDNESS_LUFS = -18.0
#: Loudness targets accepted: quieter than -40 LUFS is inaudible in a mix, louder than -6
#: cannot keep the peak ceiling on a short call.
LOUDNESS_LUFS_LIMITS = (-40.0, -6.0)
#: Sample-peak ceiling after normalisation.
PEAK_CEILING_DBFS = -1.0
#: Peak ceilings accepted.
PEAK_CEILING_DBFS_LIMITS = (-60.0, 0.0)
#: Fade in and out at the ends of every sound, against clicks.
FADE_MS = 10.0
#: Level below the sound's peak where leading and trailing silence is cut.
TRIM_THRESHOLD_DB = -50.0

# --- creatures and variations (latents)
#: Creature sizes drawn log-uniformly from this range (1 = the model's natural size).
DEFAULT_SIZE_RANGE = (0.75, 1.4)
#: Sizes accepted anywhere: two octaves up to two octaves down.
SIZE_LIMITS = (0.25, 4.0)
#: How far variations stray from their creature (0 = identical, 1 = unrelated).
DEFAULT_SPREAD = 0.35
#: ``mbot mutate``'s default spread: children stay closer to their parent.
DEFAULT_MUTATE_SPREAD = 0.25
#: Pack seeds are integers in [0, MAX_SEED] (exact in a float64, so in JSON too).
MAX_SEED = 2**53 - 1

# --- audio out
#: Output sample rate of packs (Hz); ``native`` keeps the model's.
DEFAULT_OUTPUT_RATE_HZ = 44100
#: Output rates accepted (Hz).
OUTPUT_RATE_HZ_LIMITS = (8000, 192000)
#: Audio formats a pack can be written in.
AUDIO_FORMATS = ("wav", "ogg")

# --- training data
#: How a recording becomes training clips (``mbot dataset inspect --context``, a training
#: config's ``[data] context``, ``mockingbot.dataset.load_dataset(context=...)``): ``"call"``
#: — every call cut at its onset and offset, the room tone around it dropped (sounds that
#: start at once, as game events want); ``"recording"`` — the file as recorded, only leading
#: and trailing silence trimmed, one clip per file (room tone, breaths and handling noise
#: stay: what a listener hears in the data set); ``"onset"`` — every call from its onset on,
#: with what follows it in the recording (its decay, the room's reverberation and tone) up to
#: the next call: sounds start at once and end as recorded sounds end. A model's metadata
#: records which one it learnt from, so that the runtime can cut a ``"recording"`` model's
#: sounds the way ``"call"`` cuts recordings.
CONTEXTS = ("call", "recording", "onset")

# --- models
#: Latent distributions a model may be trained with (stored in its metadata).
LATENT_DISTRIBUTIONS = ("normal", "uniform")
#: Phase-recovery methods, fastest-good first.
PHASE_METHODS = ("pghi", "fgla", "zero")
#: Upper bound on the default onnxruntime thread count: small generators stop scaling there.
MAX_DEFAULT_THREADS = 4
