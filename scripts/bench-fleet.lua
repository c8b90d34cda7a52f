-- wrk script of the fleet benchmark (scripts/bench-fleet.sh): the directory searches of
-- bench-directory.lua and, when MSP_COOKIE is set, one request in four to a signed-in page of
-- the psychologist (home, session form, the month's sessions).
local places = {
  "q=Paris", "q=Lyon", "q=Marseille", "q=Toulouse", "q=Nantes", "q=Lille", "q=Rennes",
  "q=Mende", "q=Ajaccio", "q=69003", "q=75015", "q=13008", "insee=69383", "insee=75056",
  "code_postal=69007", "lat=45.7603&lon=4.8490", "lat=48.8566&lon=2.3522",
}
local filters = { "", "", "&enfants=1", "&teleconsultation=1", "&disponible=1", "&rayon=20" }
local signed = { "/espace", "/espace/seances", "/espace/mes-seances" }
local cookie = os.getenv("MSP_COOKIE")
local i = 0
request = function()
  i = i + 1
  if cookie ~= nil and cookie ~= "" and i % 4 == 0 then
    local path = signed[(math.floor(i / 4) % #signed) + 1]
    return wrk.format("GET", path, { ["Cookie"] = "msp_session=" .. cookie })
  end
  local p = places[(i % #places) + 1]
  local f = filters[(math.floor(i / #places) % #filters) + 1]
  return wrk.format("GET", "/api/psychologues?" .. p .. f)
end
done = function(summary, latency, requests)
  io.write(string.format("non_2xx=%d\n", summary.errors.status))
  io.write(string.format("socket_errors=%d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
