-- contrib/bench/healthz.lua: wrk workload of contrib/bench/run: GET /healthz (nginx, a worker and one trivial query), the in-run reference every other rate is compared with.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local bench = dofile(dir .. "common.lua")

bench.workload("healthz", function()
	return wrk.format("GET", "/healthz")
end)
