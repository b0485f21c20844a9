@tool
@icon("res://addons/mockingbot/icons/creature_voice.svg")
class_name CreatureVoice2D
extends AudioStreamPlayer2D
## A positional 2D player that speaks for one creature of a MockingBot pack.
##
## Set [member pack] to a pack folder and [member creature] to a creature of it, then call
## [method call_out] whenever the creature should call: each call is a different variation
## than the one before, with pitch and volume jitter. [CreatureVoice3D] is the same for 3D.
## Everything except the base class lives in [code]voice_core.gd[/code].

## A call started playing; [param sound_id] names its file in the pack.
signal call_started(sound_id: String)
## A call ended: it played to the end, or a new call or [method hush] cut it short.
signal call_finished(sound_id: String)

const VoiceCore := preload("voice_core.gd")

## The pack folder, e.g. [code]res://packs/demo[/code].
@export_dir var pack: String = "":
	set(value):
		pack = value
		_changed()
## Which creature: its id ("creature_003"), its index ("3"), or "random" for one chosen when
## the node first calls.
@export var creature: String = "random":
	set(value):
		creature = value
		_changed()
## Use the creature's own pitch and volume spread from the pack (its .tres or manifest)
## instead of [member pitch_jitter] and [member volume_jitter_db].
@export var jitter_from_pack: bool = true
## Pitch spread ratio r: each call's pitch is scaled by a factor drawn from [1/r, r].
@export_range(1.0, 2.0, 0.01) var pitch_jitter: float = 1.05
## Volume spread: each call is offset by a value drawn from [-v, +v] dB.
@export_range(0.0, 12.0, 0.1, "suffix:dB") var volume_jitter_db: float = 1.5
## Calls closer than this to the previous call's start are ignored.
@export_range(0.0, 10.0, 0.01, "or_greater", "suffix:s") var min_interval: float = 0.0
## Seed for the creature/variation/jitter choices; -1 means different every run.
@export var random_seed: int = -1

var _core := VoiceCore.new()
var _loaded := false


func _ready() -> void:
	if Engine.is_editor_hint():
		return
	finished.connect(_on_finished)


func _get_configuration_warnings() -> PackedStringArray:
	var warnings: PackedStringArray = []
	var probe := VoiceCore.new()
	if probe.setup(pack, creature, 0) != OK:
		warnings.append(probe.error_message)
	return warnings


func _validate_property(property: Dictionary) -> void:
	if property["name"] != "creature" or pack.is_empty():
		return
	var opened := VoiceCore.open_pack(pack)
	var names: PackedStringArray = ["random"]
	for c in opened.creatures:
		names.append(c.id)
	property["hint"] = PROPERTY_HINT_ENUM_SUGGESTION
	property["hint_string"] = ",".join(names)


## Plays a random variation, never the one played just before. Returns false when the pack
## is unusable (see [method get_error]) or [member min_interval] has not passed.
func call_out() -> bool:
	if not _ensure_loaded():
		return false
	return _start(_core.pick_variation())


## Plays variation [param variation] (0 .. [method variation_count] - 1) exactly, even if it
## is the one played last; [method call_out] is the one that avoids repeats.
func call_variation(variation: int) -> bool:
	if not _ensure_loaded():
		return false
	if variation < 0 or variation >= _core.variation_count():
		push_error("%s: no variation %d (has %d)" % [name, variation, _core.variation_count()])
		return false
	return _start(variation)


## Stops the current call and emits [signal call_finished] for it.
func hush() -> void:
	stop()
	_finish_current()


## Number of variations of the creature (0 when the pack is unusable).
func variation_count() -> int:
	return _core.variation_count() if _ensure_loaded() else 0


## The creature's id in the pack (resolves "random" to the creature chosen).
func creature_id() -> String:
	_ensure_loaded()
	return _core.creature_id()


## Why the voice cannot call, or "" when it can.
func get_error() -> String:
	return "" if _ensure_loaded() else _core.error_message


func _ensure_loaded() -> bool:
	if not _loaded:
		_loaded = true
		if _core.setup(pack, creature, random_seed) != OK:
			push_warning("%s: %s" % [name, _core.error_message])
	return _core.is_ready()


func _start(variation: int) -> bool:
	var now := Time.get_ticks_msec()
	if not _core.interval_elapsed(min_interval, now):
		return false
	_finish_current()
	var ratio := _core.pack_pitch_jitter() if jitter_from_pack else pitch_jitter
	var spread := _core.pack_volume_jitter_db() if jitter_from_pack else volume_jitter_db
	pitch_scale = _core.next_pitch_scale(pitch_scale, ratio)
	volume_db = _core.next_volume_db(volume_db, spread)
	stream = _core.streams[variation]
	play()
	call_started.emit(_core.begin(variation, now))
	return true


func _finish_current() -> void:
	var id := _core.end()
	if not id.is_empty():
		call_finished.emit(id)


func _changed() -> void:
	_loaded = false
	if Engine.is_editor_hint():
		notify_property_list_changed()
		update_configuration_warnings()


func _on_finished() -> void:
	_finish_current()
