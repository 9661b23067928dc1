-- contrib/bench/chat_detail.lua: wrk workload of contrib/bench/run: GET /api/chats/{id}/ as a participant of a random sampled chat.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("chat_detail", function(pick)
	return bench.chat_detail(pick())
end)
