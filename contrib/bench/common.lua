-- contrib/bench/common.lua: shared by the wrk workload scripts of
-- contrib/bench (loaded with dofile, see any workload). It reads the users
-- file named by TCCHAT_BENCH_USERS (one line per user: id, token, then the
-- ids of the sampled chats the user takes part in), picks a random real
-- participant of a random sampled chat for each request, and in done()
-- prints one machine-readable line:
--
--   BENCH name requests=N seconds=S rps=R p50_ms=A p99_ms=B socket_errors=E
--
-- It defines no response() hook: with one, wrk copies every answer's
-- headers and body into Lua, which cost it 20 µs of the machine's CPU per
-- page of 50 messages, taken from the service it measures. The statuses
-- are counted from nginx's access log instead (contrib/bench/run).
local M = {}

local function load_participants(path)
	local pairs_list, users = {}, {}
	local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
	for line in file:lines() do
		local fields = {}
		for word in line:gmatch("%S+") do
			fields[#fields + 1] = word
		end
		if #fields >= 3 then
			local user = { id = fields[1], auth = "Bearer " .. fields[2] }
			users[#users + 1] = user
			for i = 3, #fields do
				pairs_list[#pairs_list + 1] = { chat = fields[i], user = user }
			end
		end
	end
	file:close()
	assert(#pairs_list > 0, "no chat in " .. path)
	return pairs_list, users
end

-- Installs wrk's hooks for a workload named `name` whose requests are made
-- by make_request(pick), pick() returning a random {chat=, user={id=, auth=}}.
function M.workload(name, make_request)
	local participants
	local threads = 0

	function setup(thread)
		threads = threads + 1
		thread:set("thread_index", threads)
	end

	function init(args)
		math.randomseed(os.time() * 1000 + (thread_index or 0) * 7919)
		local path = os.getenv("TCCHAT_BENCH_USERS")
		if path and path ~= "" then
			participants = load_participants(path)
		end
	end

	local function pick()
		return participants[math.random(#participants)]
	end

	function request()
		return make_request(pick)
	end

	function done(summary, latency, requests)
		local errors = summary.errors
		local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
		local seconds = summary.duration / 1e6
		io.write(string.format(
			"BENCH %s requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f socket_errors=%d\n",
			name, summary.requests, seconds, summary.requests / seconds,
			latency:percentile(50) / 1000, latency:percentile(99) / 1000, socket_errors))
	end
end

function M.get(path, user)
	return wrk.format("GET", path, { ["Authorization"] = user.auth })
end

function M.post(path, user, body)
	return wrk.format("POST", path, {
		["Authorization"] = user.auth,
		["Content-Type"] = "application/json",
	}, body)
end

-- The five API requests, each as a participant `p` of its chat.
function M.chat_detail(p)
	return M.get("/api/chats/" .. p.chat .. "/", p.user)
end

function M.messages_page(p)
	return M.get("/api/messages/?chat_id=" .. p.chat .. "&order=desc&limit=50", p.user)
end

function M.user_chats(p)
	return M.get("/api/chats/get_user_chats/", p.user)
end

local sent = 0
function M.send_message(p)
	sent = sent + 1
	return M.post("/api/messages/send_message/", p.user, string.format(
		'{"chat_id": "%s", "text": "Benchmark message %d from thread %d, thanks for today."}',
		p.chat, sent, thread_index or 0))
end

function M.mark_all_read(p)
	return M.post("/api/chats/" .. p.chat .. "/mark_all_read/", p.user, "{}")
end

return M
