@tool
extends RefCounted
## Runs one mbot command on a thread so the editor stays responsive while it works.
##
## First runs [code]<program> --version[/code], so a missing or wrong program is reported as
## "not found" rather than as a failed render; then runs the command with [method OS.execute]
## and keeps its exit code and output (stdout and stderr). Poll [method get_state] from the
## main thread; call [method wait] once it is no longer RUNNING (and before dropping the job).
## A render cannot be cancelled from the editor: [method OS.execute] blocks until it ends.

enum State { IDLE, RUNNING, SUCCEEDED, FAILED, NOT_FOUND }

## Exit code of a POSIX shell for "command not found" (OS.execute goes through one when it
## captures output); -1 is Godot's own "could not start".
const EXIT_NOT_FOUND := 127
const EXIT_NOT_STARTED := -1
const VERSION_MARKER := "mbot"

var program: String = ""
var arguments: PackedStringArray = []

var _thread: Thread = null
var _mutex := Mutex.new()
var _state: State = State.IDLE
var _exit_code: int = EXIT_NOT_STARTED
var _output: String = ""
var _version: String = ""


## Starts [param path] with [param args] on a new thread. [constant ERR_BUSY] if started.
func start(path: String, args: PackedStringArray) -> Error:
	if _thread != null:
		return ERR_BUSY
	program = path
	arguments = args
	_state = State.RUNNING
	_thread = Thread.new()
	var err := _thread.start(_run)
	if err != OK:
		_thread = null
		_finish(State.FAILED, EXIT_NOT_STARTED, "could not start a thread: %s" % error_string(err))
	return err


func get_state() -> State:
	_mutex.lock()
	var state := _state
	_mutex.unlock()
	return state


func is_running() -> bool:
	return get_state() == State.RUNNING


func exit_code() -> int:
	_mutex.lock()
	var code := _exit_code
	_mutex.unlock()
	return code


## Everything the command printed (stdout then stderr), once it ended.
func output() -> String:
	_mutex.lock()
	var text := _output
	_mutex.unlock()
	return text


## What [code]mbot --version[/code] printed, e.g. "mbot 0.1.0".
func version() -> String:
	_mutex.lock()
	var text := _version
	_mutex.unlock()
	return text


## The line of the output that explains a failure: mbot's "error: ..." line if there is one,
## else the last non-empty line.
func summary() -> String:
	var last := ""
	for line in output().split("\n"):
		var text := line.strip_edges()
		if text.begins_with("error:"):
			return text
		if not text.is_empty():
			last = text
	return last


## The command as a user would type it, for messages.
func command_line() -> String:
	return " ".join(PackedStringArray([program]) + arguments)


## Waits for the thread to end (blocks while the command still runs).
func wait() -> void:
	if _thread != null:
		_thread.wait_to_finish()
		_thread = null


func _run() -> void:
	var out: Array = []
	var code := OS.execute(program, PackedStringArray(["--version"]), out, true)
	var text := _joined(out)
	if code in [EXIT_NOT_STARTED, EXIT_NOT_FOUND] or not text.contains(VERSION_MARKER):
		_finish(State.NOT_FOUND, code, text)
		return
	_mutex.lock()
	_version = text.strip_edges()
	_mutex.unlock()
	out.clear()
	code = OS.execute(program, arguments, out, true)
	_finish(State.SUCCEEDED if code == 0 else State.FAILED, code, _joined(out))


func _finish(state: State, code: int, text: String) -> void:
	_mutex.lock()
	_state = state
	_exit_code = code
	_output = text
	_mutex.unlock()


static func _joined(out: Array) -> String:
	var parts: PackedStringArray = []
	for part: Variant in out:
		parts.append(str(part))
	return "\n".join(parts)
