@tool
extends VBoxContainer
## The MockingBot dock: pick a pack, list its creatures, audition calls, render a new pack.
##
## Owns UI state only. Packs are read by pack.gd, calls are chosen by voice_core.gd (so an
## audition never repeats the previous call, like a CreatureVoice node), and
## [code]mbot render-pack[/code] runs in render_job.gd. Built in code rather than a .tscn so
## the whole layout is in one reviewable place.

const Pack := preload("../pack.gd")
const VoiceCore := preload("../voice_core.gd")
const RenderJob := preload("render_job.gd")
const Settings := preload("settings.gd")

const PACKS_FOLDER := "res://packs"
const METADATA_SECTION := "mockingbot"
const METADATA_PACK := "pack"
const DEFAULT_COUNT := 16
const MAX_COUNT := 10000
const MAX_SEED := 2147483647
const MAX_FOLDER_TRIES := 1000
const POLL_SECONDS := 0.5
const DIALOG_RATIO := 0.6
const LIST_MIN_HEIGHT := 160.0

var _pack: Pack = null
var _voice := VoiceCore.new()
var _job: RenderJob = null
var _job_folder := ""
var _job_count := 0
var _job_started_msec := 0
var _pending_folder := ""

var _pack_edit := LineEdit.new()
var _info := Label.new()
var _creature_list := ItemList.new()
var _audition_button := Button.new()
var _rebuild_button := Button.new()
var _render_button := Button.new()
var _progress := ProgressBar.new()
var _status := Label.new()
var _player := AudioStreamPlayer.new()
var _poll := Timer.new()
var _folder_dialog := EditorFileDialog.new()
var _render_dialog := ConfirmationDialog.new()
var _out_edit := LineEdit.new()
var _count_spin := SpinBox.new()
var _seed_spin := SpinBox.new()
var _model_edit := LineEdit.new()
var _extra_edit := LineEdit.new()


func _ready() -> void:
	_build_pack_section()
	_build_render_section()
	_build_dialogs()
	add_child(_player)
	_poll.wait_time = POLL_SECONDS
	_poll.timeout.connect(_on_poll)
	add_child(_poll)
	var settings := EditorInterface.get_editor_settings()
	_load_pack(str(settings.get_project_metadata(METADATA_SECTION, METADATA_PACK, "")))


func _exit_tree() -> void:
	if _job != null:
		_job.wait()
		_job = null


# --- building ---------------------------------------------------------------------------


func _build_pack_section() -> void:
	var row := HBoxContainer.new()
	var label := Label.new()
	label.text = "Pack"
	row.add_child(label)
	_pack_edit.placeholder_text = PACKS_FOLDER + "/..."
	_pack_edit.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	_pack_edit.text_submitted.connect(_load_pack)
	row.add_child(_pack_edit)
	var browse := Button.new()
	browse.text = "..."
	browse.tooltip_text = "Choose a pack folder (one holding manifest.json)"
	browse.pressed.connect(_on_browse_pressed)
	row.add_child(browse)
	add_child(row)
	_info.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_info)
	_creature_list.custom_minimum_size = Vector2(0.0, LIST_MIN_HEIGHT)
	_creature_list.size_flags_vertical = Control.SIZE_EXPAND_FILL
	_creature_list.item_selected.connect(_on_creature_selected)
	_creature_list.item_activated.connect(_on_creature_activated)
	add_child(_creature_list)
	var buttons := HBoxContainer.new()
	_audition_button.text = "Audition"
	_audition_button.tooltip_text = "Play a random call of the selected creature"
	_audition_button.pressed.connect(_on_audition_pressed)
	buttons.add_child(_audition_button)
	_rebuild_button.text = "Rebuild .tres"
	_rebuild_button.tooltip_text = "Rewrite the creatures' .tres files that are missing or stale"
	_rebuild_button.pressed.connect(_on_rebuild_pressed)
	buttons.add_child(_rebuild_button)
	add_child(buttons)


func _build_render_section() -> void:
	add_child(HSeparator.new())
	_render_button.text = "Render new pack..."
	_render_button.tooltip_text = "Run mbot render-pack into a new folder of this project"
	_render_button.pressed.connect(_on_render_pressed)
	add_child(_render_button)
	_progress.visible = false
	_progress.step = 1.0
	add_child(_progress)
	_status.autowrap_mode = TextServer.AUTOWRAP_WORD_SMART
	add_child(_status)


func _build_dialogs() -> void:
	_folder_dialog.file_mode = EditorFileDialog.FILE_MODE_OPEN_DIR
	_folder_dialog.access = EditorFileDialog.ACCESS_RESOURCES
	_folder_dialog.title = "Choose a MockingBot pack folder"
	_folder_dialog.dir_selected.connect(_load_pack)
	add_child(_folder_dialog)
	_render_dialog.title = "Render new pack"
	_render_dialog.ok_button_text = "Render"
	_render_dialog.confirmed.connect(_on_render_confirmed)
	var grid := GridContainer.new()
	grid.columns = 2
	_out_edit.custom_minimum_size = Vector2(320.0, 0.0)
	_add_field(grid, "Folder", _out_edit)
	_count_spin.min_value = 1
	_count_spin.max_value = MAX_COUNT
	_count_spin.value = DEFAULT_COUNT
	_add_field(grid, "Sounds", _count_spin)
	_seed_spin.min_value = 0
	_seed_spin.max_value = MAX_SEED
	_add_field(grid, "Seed", _seed_spin)
	_model_edit.placeholder_text = "bundled model"
	_add_field(grid, "Model (optional)", _model_edit)
	_extra_edit.placeholder_text = "e.g. --format ogg --sample-rate 44100"
	_add_field(grid, "More options", _extra_edit)
	_render_dialog.add_child(grid)
	add_child(_render_dialog)


static func _add_field(grid: GridContainer, caption: String, field: Control) -> void:
	var label := Label.new()
	label.text = caption
	grid.add_child(label)
	field.size_flags_horizontal = Control.SIZE_EXPAND_FILL
	grid.add_child(field)


# --- pack and creatures -----------------------------------------------------------------


func _load_pack(path: String) -> void:
	_creature_list.clear()
	_pack = null
	var folder := path.strip_edges().trim_suffix("/")
	_pack_edit.text = folder
	if folder.is_empty():
		_info.text = "Choose a pack folder (one holding manifest.json), or render a new pack."
		_update_buttons()
		return
	var opened := Pack.new()
	if opened.load_dir(folder) != OK:
		_info.text = opened.error_message
		_update_buttons()
		return
	_pack = opened
	EditorInterface.get_editor_settings().set_project_metadata(
		METADATA_SECTION, METADATA_PACK, folder
	)
	var stale := 0
	for c in opened.creatures:
		var text := "%s  (%d calls)" % [c.id, c.sound_ids.size()]
		if not opened.has_fresh_resource(c.index):
			text += "  - .tres missing or stale"
			stale += 1
		var item := _creature_list.add_item(text)
		var tip := "size %.2f, pitch spread x%.3f, volume spread +/-%.1f dB"
		_creature_list.set_item_tooltip(
			item, tip % [c.size, c.random_pitch, c.random_volume_offset_db]
		)
	_info.text = (
		"%s: %d creatures, %d Hz" % [opened.pack_name, opened.creature_count(), opened.sample_rate]
	)
	if stale > 0:
		_info.text += "; %d built from the manifest (Rebuild .tres writes them)" % stale
	_creature_list.select(0)
	_on_creature_selected(0)
	_update_buttons()


func _on_creature_selected(index: int) -> void:
	if _pack != null and _voice.use_creature(_pack, index) != OK:
		_set_status(_voice.error_message, true)
	_update_buttons()


func _on_creature_activated(index: int) -> void:
	_on_creature_selected(index)
	_on_audition_pressed()


func _on_audition_pressed() -> void:
	if _pack == null or not _voice.is_ready():
		return
	var variation := _voice.pick_variation()
	_player.stream = _voice.streams[variation]
	_player.pitch_scale = _voice.next_pitch_scale(_player.pitch_scale, _voice.pack_pitch_jitter())
	_player.volume_db = _voice.next_volume_db(_player.volume_db, _voice.pack_volume_jitter_db())
	_player.play()
	_set_status("Playing %s" % _voice.begin(variation, Time.get_ticks_msec()), false)


func _on_rebuild_pressed() -> void:
	if _pack == null:
		return
	var written := 0
	for c in _pack.creatures:
		if _pack.has_fresh_resource(c.index):
			continue
		if _pack.save_randomizer(c.index) != OK:
			_set_status(_pack.error_message, true)
			return
		written += 1
	_set_status("Rewrote %d .tres files." % written, false)
	_rescan_then_load(_pack.dir)


func _on_browse_pressed() -> void:
	_folder_dialog.popup_centered_ratio(DIALOG_RATIO)


func _update_buttons() -> void:
	_audition_button.disabled = _pack == null or not _voice.is_ready()
	var stale := false
	if _pack != null:
		for c in _pack.creatures:
			stale = stale or not _pack.has_fresh_resource(c.index)
	_rebuild_button.disabled = not stale
	_render_button.disabled = _job != null


# --- rendering --------------------------------------------------------------------------


func _on_render_pressed() -> void:
	_out_edit.text = _next_free_folder()
	_seed_spin.value = randi_range(0, MAX_SEED)
	_render_dialog.popup_centered()


func _on_render_confirmed() -> void:
	var folder := _out_edit.text.strip_edges().trim_suffix("/")
	if not folder.begins_with("res://"):
		_set_status("The pack folder must be inside the project (res://...).", true)
		return
	if DirAccess.dir_exists_absolute(folder) and not _is_empty_dir(folder):
		_set_status("%s already exists and is not empty; choose a new folder." % folder, true)
		return
	var count := int(_count_spin.value)
	var args := PackedStringArray(["render-pack", "--out", ProjectSettings.globalize_path(folder)])
	args.append_array(["--count", str(count), "--seed", str(int(_seed_spin.value))])
	var model := _model_edit.text.strip_edges()
	if not model.is_empty():
		args.append_array(["--model", ProjectSettings.globalize_path(model)])
	args.append_array(_extra_edit.text.split(" ", false))
	_job = RenderJob.new()
	if _job.start(Settings.mbot_path(), args) != OK:
		_set_status(_job.summary(), true)
		_job = null
		return
	_job_folder = folder
	_job_count = count
	_job_started_msec = Time.get_ticks_msec()
	_progress.max_value = count
	_progress.value = 0
	_progress.visible = true
	_set_status("Starting %s" % _job.command_line(), false)
	_update_buttons()
	_poll.start()


func _on_poll() -> void:
	if _job == null:
		_poll.stop()
		return
	var done := _count_audio(_job_folder)
	_progress.value = mini(done, _job_count)
	if _job.is_running():
		var seconds := int((Time.get_ticks_msec() - _job_started_msec) / 1000.0)
		_set_status(
			"Rendering into %s: %d / %d sounds (%d s)" % [_job_folder, done, _job_count, seconds],
			false
		)
		return
	_poll.stop()
	_job.wait()
	var job := _job
	_job = null
	_progress.visible = false
	_update_buttons()
	var state := job.get_state()
	if state == RenderJob.State.NOT_FOUND:
		_set_status(_not_found_message(job), true)
	elif state == RenderJob.State.FAILED:
		printerr("[MockingBot] %s\n%s" % [job.command_line(), job.output()])
		var why := "mbot render-pack failed (exit %d): %s" % [job.exit_code(), job.summary()]
		_set_status(why + " (full output in the Output panel)", true)
	else:
		_set_status("Rendered %s with %s. Importing..." % [_job_folder, job.version()], false)
		_rescan_then_load(_job_folder)


static func _not_found_message(job: RenderJob) -> String:
	var hint := (
		"Could not run mbot (tried '%s'). Install MockingBot (pip install mockingbot) and set "
		+ "Editor Settings > Mockingbot > Mbot Path to the full path of the mbot executable."
	)
	var detail := job.summary()
	return hint % job.program + ("" if detail.is_empty() else " (%s)" % detail)


func _rescan_then_load(folder: String) -> void:
	_pending_folder = folder
	var fs := EditorInterface.get_resource_filesystem()
	if not fs.filesystem_changed.is_connected(_on_filesystem_changed):
		fs.filesystem_changed.connect(_on_filesystem_changed, CONNECT_ONE_SHOT)
	fs.scan()


func _on_filesystem_changed() -> void:
	_load_pack(_pending_folder)


func _set_status(text: String, is_error: bool) -> void:
	_status.text = text
	if is_error:
		_status.add_theme_color_override("font_color", get_theme_color("error_color", "Editor"))
	else:
		_status.remove_theme_color_override("font_color")


static func _next_free_folder() -> String:
	for i in range(1, MAX_FOLDER_TRIES):
		var folder := "%s/pack_%02d" % [PACKS_FOLDER, i]
		if not DirAccess.dir_exists_absolute(folder):
			return folder
	return PACKS_FOLDER.path_join("pack_new")


static func _is_empty_dir(folder: String) -> bool:
	return (
		DirAccess.get_files_at(folder).is_empty()
		and DirAccess.get_directories_at(folder).is_empty()
	)


static func _count_audio(folder: String) -> int:
	var audio := folder.path_join("audio")
	if not DirAccess.dir_exists_absolute(audio):
		return 0
	var count := 0
	for file in DirAccess.get_files_at(audio):
		if not file.begins_with(".") and file.get_extension().to_lower() in Pack.AUDIO_EXTENSIONS:
			count += 1
	return count
