@tool
extends RefCounted
## A MockingBot sound pack folder: its manifest and one AudioStreamRandomizer per creature.
##
## Plain data with no editor dependency, shared by the CreatureVoice nodes, the editor dock and
## game code ([code]const MockingbotPack := preload("res://addons/mockingbot/pack.gd")[/code]).
## [method load_dir] reads [code]manifest.json[/code] and checks its format and version. Each
## creature's randomizer comes from the pack's [code].tres[/code] when that file is fresh, or is
## built from the manifest when the file is missing or stale (it lacks sounds the manifest
## lists). Audio is loaded through [ResourceLoader] when Godot has imported it (always true in
## exported games), otherwise straight from the WAV/Ogg file.
## Every loading function returns an [enum Error]; [member error_message] says why in words.

## The [code]format[/code] value every MockingBot pack manifest carries.
const FORMAT := "mockingbot-pack"
## The manifest layout this addon reads. Newer packs are refused, not guessed at.
const FORMAT_VERSION := 1
const MANIFEST_FILE := "manifest.json"
const AUDIO_EXTENSIONS := ["wav", "ogg"]

## Folder of the pack, e.g. [code]res://packs/demo[/code] (no trailing slash).
var dir: String = ""
## The pack's name from the manifest.
var pack_name: String = ""
## Sample rate of the pack's audio in Hz.
var sample_rate: int = 0
## License and credit text to show in a game's credits.
var attribution: String = ""
## Creatures in manifest order.
var creatures: Array[Creature] = []
## Result of the last [method load_dir] (later failures to load audio do not change it).
var load_error: Error = ERR_UNCONFIGURED
## A one-line explanation of the last failure (loading the pack, or later its audio).
var error_message: String = ""

var _manifest_time: int = 0
var _randomizers: Dictionary = {}
var _fresh_resource: Dictionary = {}


## One creature of the pack: its id, its pitch/volume spread and its variations.
class Creature:
	extends RefCounted
	var id: String = ""
	var index: int = 0
	var size: float = 1.0
	## Pitch spread ratio r >= 1 (each call's pitch is drawn from [1/r, r]).
	var random_pitch: float = 1.0
	## Volume spread in dB (each call is offset by a value in [-v, +v]).
	var random_volume_offset_db: float = 0.0
	## The creature's .tres, relative to the pack folder (may be empty).
	var resource: String = ""
	var sound_ids: PackedStringArray = []
	## Audio files relative to the pack folder, parallel to [member sound_ids].
	var sound_files: PackedStringArray = []


## Reads [code]<path>/manifest.json[/code]. Returns [constant OK], or
## [constant ERR_FILE_NOT_FOUND] (no manifest), [constant ERR_PARSE_ERROR] (not JSON),
## [constant ERR_FILE_UNRECOGNIZED] (not a MockingBot pack, or a format_version this addon
## does not know), [constant ERR_INVALID_DATA] (a creature or sound entry is malformed).
func load_dir(path: String) -> Error:
	dir = path.trim_suffix("/") if path != "res://" else path
	creatures.clear()
	_randomizers.clear()
	_fresh_resource.clear()
	var manifest_path := dir.path_join(MANIFEST_FILE)
	if not FileAccess.file_exists(manifest_path):
		return _fail(ERR_FILE_NOT_FOUND, "%s has no %s" % [dir, MANIFEST_FILE])
	_manifest_time = FileAccess.get_modified_time(manifest_path)
	var json := JSON.new()
	if json.parse(FileAccess.get_file_as_string(manifest_path)) != OK:
		var where := "%s line %d" % [manifest_path, json.get_error_line()]
		return _fail(ERR_PARSE_ERROR, "%s: %s" % [where, json.get_error_message()])
	if typeof(json.data) != TYPE_DICTIONARY:
		return _fail(ERR_PARSE_ERROR, "%s does not hold a JSON object" % manifest_path)
	var data: Dictionary = json.data
	var err := _read_header(data)
	if err == OK:
		err = _read_creatures(data)
	if err != OK:
		creatures.clear()
		return err
	load_error = OK
	error_message = ""
	return OK


## True when manifest.json changed on disk since [method load_dir] (a new render landed).
func is_outdated() -> bool:
	var manifest_path := dir.path_join(MANIFEST_FILE)
	return FileAccess.get_modified_time(manifest_path) != _manifest_time


func creature_count() -> int:
	return creatures.size()


## The index of the creature named [param key] ([code]"creature_003"[/code]) or numbered
## [param key] ([code]"3"[/code]), or -1 when there is none.
func find_creature(key: String) -> int:
	var wanted := key.strip_edges()
	for c in creatures:
		if c.id == wanted:
			return c.index
	if wanted.is_valid_int():
		var i := wanted.to_int()
		if i >= 0 and i < creatures.size():
			return i
	return -1


## Project path of variation [param variation] of creature [param creature_index].
func sound_path(creature_index: int, variation: int) -> String:
	return dir.path_join(creatures[creature_index].sound_files[variation]).simplify_path()


## The creature's randomizer: its .tres when fresh, else one built from the manifest.
## Returns null (and sets [member error_message]) when its audio cannot be loaded.
func get_randomizer(creature_index: int) -> AudioStreamRandomizer:
	if _randomizers.has(creature_index):
		return _randomizers[creature_index]
	var rand := _load_fresh_resource(creature_index)
	_fresh_resource[creature_index] = rand != null
	if rand == null:
		rand = build_randomizer(creature_index)
	if rand != null:
		_randomizers[creature_index] = rand
	return rand


## The creature's variations in manifest order (empty on failure, see [member error_message]).
func get_streams(creature_index: int) -> Array[AudioStream]:
	var streams: Array[AudioStream] = []
	var rand := get_randomizer(creature_index)
	if rand == null:
		return streams
	for i in rand.streams_count:
		streams.append(rand.get_stream(i))
	return streams


## False when the creature's .tres is missing or lacks sounds the manifest lists (the addon
## then builds the randomizer itself; [method save_randomizer] rewrites the file).
func has_fresh_resource(creature_index: int) -> bool:
	if not _fresh_resource.has(creature_index):
		_fresh_resource[creature_index] = _load_fresh_resource(creature_index) != null
	return _fresh_resource[creature_index]


## A new randomizer for the creature from the manifest alone (avoid-repeats playback, the
## creature's pitch and volume spread). Returns null when a sound cannot be loaded.
func build_randomizer(creature_index: int) -> AudioStreamRandomizer:
	var c := creatures[creature_index]
	var rand := AudioStreamRandomizer.new()
	rand.playback_mode = AudioStreamRandomizer.PLAYBACK_RANDOM_NO_REPEATS
	rand.random_pitch = c.random_pitch
	rand.random_volume_offset_db = c.random_volume_offset_db
	for i in c.sound_files.size():
		var path := sound_path(creature_index, i)
		var stream := load_stream(path)
		if stream == null:
			error_message = "cannot load %s (missing, or not a WAV/Ogg file)" % path
			return null
		rand.add_stream(-1, stream)
	return rand


## Writes the creature's .tres from the manifest. Only works once Godot has imported the
## audio ([constant ERR_UNAVAILABLE] otherwise): a randomizer over unimported streams would
## embed the audio data in the .tres instead of referring to the files.
func save_randomizer(creature_index: int) -> Error:
	var c := creatures[creature_index]
	if c.resource.is_empty():
		error_message = "creature %s names no .tres in the manifest" % c.id
		return ERR_UNCONFIGURED
	var rand := build_randomizer(creature_index)
	if rand == null:
		return ERR_FILE_CANT_OPEN
	for i in rand.streams_count:
		if rand.get_stream(i).resource_path.is_empty():
			error_message = "%s is not imported yet; let the editor finish importing" % c.id
			return ERR_UNAVAILABLE
	var err := ResourceSaver.save(rand, dir.path_join(c.resource))
	if err != OK:
		error_message = "cannot write %s: %s" % [c.resource, error_string(err)]
		return err
	_randomizers[creature_index] = rand
	_fresh_resource[creature_index] = true
	return OK


## An audio file as a stream: the imported resource when Godot has imported it, else the file
## itself read with [method AudioStreamWAV.load_from_file] /
## [method AudioStreamOggVorbis.load_from_file]. Null when neither works.
static func load_stream(path: String) -> AudioStream:
	if ResourceLoader.exists(path):
		var res := ResourceLoader.load(path)
		if res is AudioStream:
			return res
	if not FileAccess.file_exists(path):
		return null
	match path.get_extension().to_lower():
		"wav":
			return AudioStreamWAV.load_from_file(path)
		"ogg":
			return AudioStreamOggVorbis.load_from_file(path)
	return null


func _fail(code: Error, message: String) -> Error:
	load_error = code
	error_message = message
	return code


func _read_header(data: Dictionary) -> Error:
	var manifest_path := dir.path_join(MANIFEST_FILE)
	var fmt: Variant = data.get("format")
	if typeof(fmt) != TYPE_STRING or str(fmt) != FORMAT:
		var msg := "%s is not a MockingBot pack manifest (format %s)" % [manifest_path, fmt]
		return _fail(ERR_FILE_UNRECOGNIZED, msg)
	var version: Variant = data.get("format_version")
	if typeof(version) not in [TYPE_INT, TYPE_FLOAT] or int(version) != FORMAT_VERSION:
		var msg := (
			"%s has format_version %s; this addon reads version %d (update the addon)"
			% [manifest_path, version, FORMAT_VERSION]
		)
		return _fail(ERR_FILE_UNRECOGNIZED, msg)
	pack_name = _text(data, "name", dir.get_file())
	attribution = _text(data, "attribution", "")
	sample_rate = int(_number(data, "sample_rate", 0.0))
	return OK


func _read_creatures(data: Dictionary) -> Error:
	var files := {}
	var sounds: Variant = data.get("sounds")
	var listed: Variant = data.get("creatures")
	if typeof(sounds) != TYPE_ARRAY or typeof(listed) != TYPE_ARRAY:
		return _fail(ERR_INVALID_DATA, "the manifest needs 'creatures' and 'sounds' lists")
	for entry: Variant in sounds:
		if typeof(entry) == TYPE_DICTIONARY:
			var sound: Dictionary = entry
			files[_text(sound, "id", "")] = _text(sound, "file", "")
	for entry: Variant in listed:
		if typeof(entry) != TYPE_DICTIONARY:
			return _fail(ERR_INVALID_DATA, "a 'creatures' entry is not an object")
		var err := _read_creature(entry, files)
		if err != OK:
			return err
	if creatures.is_empty():
		return _fail(ERR_INVALID_DATA, "the pack lists no creatures")
	return OK


func _read_creature(entry: Dictionary, files: Dictionary) -> Error:
	var c := Creature.new()
	c.id = _text(entry, "id", "")
	if c.id.is_empty():
		return _fail(ERR_INVALID_DATA, "creature #%d has no id" % creatures.size())
	c.index = creatures.size()
	c.size = _number(entry, "size", 1.0)
	c.random_pitch = maxf(1.0, _number(entry, "random_pitch", 1.0))
	c.random_volume_offset_db = maxf(0.0, _number(entry, "random_volume_offset_db", 0.0))
	c.resource = _text(entry, "resource", "")
	var ids: Variant = entry.get("sounds")
	if typeof(ids) != TYPE_ARRAY or (ids as Array).is_empty():
		return _fail(ERR_INVALID_DATA, "creature %s lists no sounds" % c.id)
	for sound_id: Variant in ids:
		var file: String = files.get(str(sound_id), "")
		if not _is_inside_pack(file):
			var msg := "sound %s of %s has no usable file in 'sounds'" % [sound_id, c.id]
			return _fail(ERR_INVALID_DATA, msg)
		c.sound_ids.append(str(sound_id))
		c.sound_files.append(file)
	if not c.resource.is_empty() and not _is_inside_pack(c.resource):
		return _fail(ERR_INVALID_DATA, "creature %s: bad resource path %s" % [c.id, c.resource])
	creatures.append(c)
	return OK


func _load_fresh_resource(creature_index: int) -> AudioStreamRandomizer:
	var c := creatures[creature_index]
	if c.resource.is_empty():
		return null
	var path := dir.path_join(c.resource)
	if not ResourceLoader.exists(path):
		return null
	var rand := ResourceLoader.load(path) as AudioStreamRandomizer
	if rand == null or rand.streams_count != c.sound_files.size():
		return null
	for i in rand.streams_count:
		var stream := rand.get_stream(i)
		if stream == null or stream.resource_path.simplify_path() != sound_path(creature_index, i):
			return null
	return rand


static func _is_inside_pack(relative: String) -> bool:
	return (
		not relative.is_empty()
		and relative.is_relative_path()
		and not relative.contains("\\")
		and not relative.simplify_path().begins_with("..")
	)


static func _text(d: Dictionary, key: String, default: String) -> String:
	var v: Variant = d.get(key)
	return str(v) if typeof(v) == TYPE_STRING else default


static func _number(d: Dictionary, key: String, default: float) -> float:
	var v: Variant = d.get(key)
	return float(v) if typeof(v) in [TYPE_INT, TYPE_FLOAT] else default
