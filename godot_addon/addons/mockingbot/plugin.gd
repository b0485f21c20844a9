@tool
extends EditorPlugin
## Registers the MockingBot editor pieces: the mbot path setting and the dock.
##
## Only registration happens here. CreatureVoice2D and CreatureVoice3D are global classes
## (class_name), so they show in the Create Node dialog and in game code even when the plugin
## is disabled or the game is exported. There is no import plugin: a pack is ordinary
## resources (.tres files and WAV/Ogg audio that Godot's own importers handle).

const Dock := preload("editor/dock.gd")
const Settings := preload("editor/settings.gd")
const DOCK_TITLE := "MockingBot"

var _dock: Dock = null


func _enter_tree() -> void:
	Settings.register()
	_dock = Dock.new()
	_dock.name = DOCK_TITLE
	add_control_to_dock(DOCK_SLOT_RIGHT_UL, _dock)


func _exit_tree() -> void:
	if _dock != null:
		remove_control_from_docks(_dock)
		_dock.queue_free()
		_dock = null
