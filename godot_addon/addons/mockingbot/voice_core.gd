@tool
extends RefCounted
## What CreatureVoice2D, CreatureVoice3D and the dock's audition share: which creature, which
## variation next (never the one just played), pitch and volume jitter, the call rate limit.
##
## The nodes only differ in their base class, so everything that decides what to play lives
## here and they just apply it. Packs are cached per folder (and reloaded when their manifest
## changes), so a level full of creatures reads each manifest once.

const Pack := preload("pack.gd")
## [member CreatureVoice2D.creature] values that mean "pick a creature at random".
const RANDOM_KEYS := ["", "random", "*"]
const MSEC_PER_SEC := 1000.0

static var _packs: Dictionary = {}

## The pack in use (null before [method setup]).
var pack: Pack = null
## Index of the creature in [member pack], -1 when none.
var creature_index: int = -1
## The creature's variations, in manifest order.
var streams: Array[AudioStream] = []
## Sound id of the call playing now, empty when silent.
var current_sound_id: String = ""
## Why the last [method setup] failed.
var error_message: String = ""
var rng := RandomNumberGenerator.new()

var _last_variation: int = -1
var _last_call_msec: int = -1
var _pitch_factor: float = 1.0
var _volume_offset_db: float = 0.0


## The pack in [param folder], from the cache while its manifest is unchanged. Check
## [member Pack.load_error] on the result.
static func open_pack(folder: String) -> Pack:
	var key := folder.trim_suffix("/") if folder != "res://" else folder
	if _packs.has(key):
		var cached: Pack = _packs[key]
		if not cached.is_outdated():
			return cached
	var fresh := Pack.new()
	if fresh.load_dir(key) == OK:
		_packs[key] = fresh
	else:
		_packs.erase(key)
	return fresh


## Forgets every cached pack (after re-rendering one in place, for instance).
static func clear_cache() -> void:
	_packs.clear()


## Loads [param folder] and picks the creature named or numbered [param creature_key]
## ("creature_002", "2"), or a random one for "", "random" or "*". [param random_seed] >= 0
## makes the choices repeatable; -1 seeds from the clock.
func setup(folder: String, creature_key: String, random_seed: int = -1) -> Error:
	if random_seed >= 0:
		rng.seed = random_seed
	else:
		rng.randomize()
	streams.clear()
	creature_index = -1
	if folder.strip_edges().is_empty():
		error_message = "no pack folder set"
		return ERR_UNCONFIGURED
	var opened := open_pack(folder)
	if opened.load_error != OK:
		error_message = opened.error_message
		return opened.load_error
	var index := opened.find_creature(creature_key)
	if creature_key.strip_edges().to_lower() in RANDOM_KEYS:
		index = rng.randi_range(0, opened.creature_count() - 1)
	if index < 0:
		error_message = "pack %s has no creature '%s'" % [opened.dir, creature_key]
		return ERR_DOES_NOT_EXIST
	return use_creature(opened, index)


## Uses creature [param index] of an already loaded [param loaded_pack].
func use_creature(loaded_pack: Pack, index: int) -> Error:
	pack = loaded_pack
	creature_index = index
	_last_variation = -1
	streams = loaded_pack.get_streams(index)
	if streams.is_empty():
		error_message = loaded_pack.error_message
		return ERR_FILE_CANT_OPEN
	error_message = ""
	return OK


func is_ready() -> bool:
	return not streams.is_empty()


func variation_count() -> int:
	return streams.size()


## Sound id of variation [param variation] (the audio file's name in the pack).
func sound_id(variation: int) -> String:
	return pack.creatures[creature_index].sound_ids[variation]


## The creature's id, e.g. "creature_003" (empty before [method setup]).
func creature_id() -> String:
	return "" if pack == null or creature_index < 0 else pack.creatures[creature_index].id


## A random variation that is not the one played last (with a single variation, that one).
func pick_variation() -> int:
	var n := streams.size()
	if n <= 1 or _last_variation < 0:
		return rng.randi_range(0, n - 1) if n > 0 else -1
	var i := rng.randi_range(0, n - 2)
	return i + 1 if i >= _last_variation else i


## True when at least [param min_interval] seconds passed since the last call started.
func interval_elapsed(min_interval: float, now_msec: int) -> bool:
	if _last_call_msec < 0 or min_interval <= 0.0:
		return true
	return now_msec - _last_call_msec >= int(min_interval * MSEC_PER_SEC)


## Records that [param variation] starts now; returns its sound id.
func begin(variation: int, now_msec: int) -> String:
	_last_variation = variation
	_last_call_msec = now_msec
	current_sound_id = sound_id(variation)
	return current_sound_id


## Clears and returns the id of the call that was playing ("" when none).
func end() -> String:
	var id := current_sound_id
	current_sound_id = ""
	return id


## The creature's pitch spread: the randomizer's (the .tres may have been tuned in the
## inspector), else the manifest's.
func pack_pitch_jitter() -> float:
	var rand := _randomizer()
	return rand.random_pitch if rand != null else 1.0


func pack_volume_jitter_db() -> float:
	var rand := _randomizer()
	return rand.random_volume_offset_db if rand != null else 0.0


## [param current] pitch_scale with the previous call's jitter factor taken out and a new one,
## drawn log-uniformly from [1/ratio, ratio], put in. A pitch the user set stays the centre.
func next_pitch_scale(current: float, ratio: float) -> float:
	var base := current / _pitch_factor
	_pitch_factor = 1.0
	if ratio > 1.0:
		var spread := log(ratio)
		_pitch_factor = exp(rng.randf_range(-spread, spread))
	return base * _pitch_factor


## [param current] volume_db with the previous offset taken out and a new one from
## [-spread_db, +spread_db] put in.
func next_volume_db(current: float, spread_db: float) -> float:
	var base := current - _volume_offset_db
	_volume_offset_db = rng.randf_range(-spread_db, spread_db) if spread_db > 0.0 else 0.0
	return base + _volume_offset_db


func _randomizer() -> AudioStreamRandomizer:
	if pack == null or creature_index < 0:
		return null
	return pack.get_randomizer(creature_index)
