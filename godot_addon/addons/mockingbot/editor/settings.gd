@tool
extends RefCounted
## The addon's Editor Settings (Editor > Editor Settings > Mockingbot).
##
## Only the path of the mbot program for now: an editor started from a desktop launcher often
## lacks the PATH of the shell where MockingBot was pip-installed, so users point this at the
## executable (e.g. ~/.venvs/mbot/bin/mbot or C:\Users\me\...\Scripts\mbot.exe).

const MBOT_PATH := "mockingbot/mbot_path"
const MBOT_PATH_DEFAULT := "mbot"


## Adds the settings with their defaults and hints (keeps values the user already set).
static func register() -> void:
	var settings := EditorInterface.get_editor_settings()
	if not settings.has_setting(MBOT_PATH):
		settings.set_setting(MBOT_PATH, MBOT_PATH_DEFAULT)
	settings.set_initial_value(MBOT_PATH, MBOT_PATH_DEFAULT, false)
	settings.add_property_info(
		{"name": MBOT_PATH, "type": TYPE_STRING, "hint": PROPERTY_HINT_GLOBAL_FILE}
	)


## The mbot program to run: the setting, or "mbot" (found on PATH) when it is empty.
static func mbot_path() -> String:
	var settings := EditorInterface.get_editor_settings()
	var value := ""
	if settings.has_setting(MBOT_PATH):
		value = str(settings.get_setting(MBOT_PATH)).strip_edges()
	return MBOT_PATH_DEFAULT if value.is_empty() else value
