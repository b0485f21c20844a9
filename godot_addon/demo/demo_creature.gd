extends Area2D
## A clickable creature: a left click makes its CreatureVoice2D call, and the body swells
## while the call plays.

const CALLING_SCALE := Vector2(1.15, 1.15)

@onready var _voice: CreatureVoice2D = $Voice
@onready var _body: Polygon2D = $Body
@onready var _caption: Label = $Caption


func _ready() -> void:
	_voice.call_started.connect(_on_call_started)
	_voice.call_finished.connect(_on_call_finished)
	var problem := _voice.get_error()
	_caption.text = _voice.creature_id() if problem.is_empty() else problem


func _input_event(_viewport: Viewport, event: InputEvent, _shape_idx: int) -> void:
	var click := event as InputEventMouseButton
	if click != null and click.pressed and click.button_index == MOUSE_BUTTON_LEFT:
		_voice.call_out()


func _on_call_started(sound_id: String) -> void:
	_body.scale = CALLING_SCALE
	_caption.text = sound_id


func _on_call_finished(_sound_id: String) -> void:
	_body.scale = Vector2.ONE
