-- contrib/bench/mark_all_read.lua: wrk workload of contrib/bench/run: POST /api/chats/{id}/mark_all_read/ by a participant of a random sampled chat.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("mark_all_read", function(pick)
	return bench.mark_all_read(pick())
end)
