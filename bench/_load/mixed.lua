-- wrk script for a cruce node. bench/load.py writes data.lua (token, names, ids, mix) next to
-- this file and passes its path as the first script argument.
-- Status counts come from a response hook per thread, summed in done (threads are separate Lua
-- states, so each keeps plain numbers that done reads with thread:get).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  dofile(args[1])  -- defines TOKEN, NAMES, IDS, MIX (list of {kind, weight})
  math.randomseed(os.time() + (tonumber(args[2]) or 0))
  headers = {["Authorization"] = "Bearer " .. TOKEN, ["X-Cruce-Purpose"] = PURPOSE,
             ["X-Cruce-Case"] = CASE, ["X-Cruce-Why"] = WHY}
  ok, client, server, searches, reads, sent = 0, 0, 0, 0, 0, 0
end

local function escape(s)
  return (s:gsub("[^%w%-_.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local paths = {
  search = function() return "/api/v1/search?limit=20&q=" .. escape(NAMES[math.random(#NAMES)]) end,
  record = function() return "/api/v1/records/" .. escape(IDS[math.random(#IDS)]) end,
  stats = function() return "/api/v1/stats" end,
  me = function() return "/api/v1/me" end,
  outbox = function() return "/api/v1/shares/outbox" end,
  inbox = function() return "/api/v1/shares/received" end,
}

function request()
  local r, kind = math.random() * TOTAL, MIX[#MIX][1]
  for _, entry in ipairs(MIX) do
    if r < entry[2] then kind = entry[1] break end
    r = r - entry[2]
  end
  -- Sent searches and reads bound the consultations logged from above: requests still in flight
  -- when wrk stops are served and logged, but their answers are never read here.
  if kind == "search" or kind == "record" then sent = sent + 1 end
  return wrk.format("GET", paths[kind](), headers)
end

function response(status, hdrs, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
    -- Which request this answers is not passed in: a search carries X-Cruce-Withheld, a record
    -- read is the only object answer with an "envelope".
    if hdrs["X-Cruce-Withheld"] or hdrs["x-cruce-withheld"] then searches = searches + 1
    elseif body:sub(1, 1) == "{" and body:find('"envelope"', 1, true) then reads = reads + 1 end
  elseif status < 500 then client = client + 1
  else server = server + 1 end
end

function done(summary, latency, requests)
  local t = {ok = 0, client = 0, server = 0, searches = 0, reads = 0, sent = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  io.write(string.format("CRUCE ok=%d client=%d server=%d searches=%d reads=%d sent=%d\n",
                         t.ok, t.client, t.server, t.searches, t.reads, t.sent))
end
