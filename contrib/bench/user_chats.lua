-- contrib/bench/user_chats.lua: wrk workload of contrib/bench/run: GET /api/chats/get_user_chats/ as a participant of a random sampled chat.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("user_chats", function(pick)
	return bench.user_chats(pick())
end)
