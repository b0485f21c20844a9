extends Node2D
## The demo scene: three creatures of res://packs/demo; click one and it calls.

const PACK := "res://packs/demo"

@onready var _hint: Label = $Hint


func _ready() -> void:
	if not FileAccess.file_exists(PACK.path_join("manifest.json")):
		_hint.text = (
			"No pack in %s yet. Run: mbot godot install godot_addon/demo --pack <a pack folder>"
			% PACK
		)
