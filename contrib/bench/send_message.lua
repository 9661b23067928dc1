-- contrib/bench/send_message.lua: wrk workload of contrib/bench/run: POST /api/messages/send_message/ with a short text, into a random sampled chat by one of its participants.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("send_message", function(pick)
	return bench.send_message(pick())
end)
