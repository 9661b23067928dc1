-- contrib/bench/messages_page.lua: wrk workload of contrib/bench/run: GET /api/messages/?chat_id=…&order=desc&limit=50 (the 50 latest messages of a chat) as a participant of a random sampled chat.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("messages_page", function(pick)
	return bench.messages_page(pick())
end)
