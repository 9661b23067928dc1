-- contrib/bench/mix.lua: wrk workload of contrib/bench/run: 90 % reads (chat detail, page of 50 messages, get_user_chats, a third each) and 10 % send_message, as participants of random sampled chats.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("mix", function(pick)
	local r = math.random()
	if r < 0.3 then
		return bench.chat_detail(pick())
	elseif r < 0.6 then
		return bench.messages_page(pick())
	elseif r < 0.9 then
		return bench.user_chats(pick())
	end
	return bench.send_message(pick())
end)
