-- wrk script for the directory search API: varies places (names, postal codes incl.
-- arrondissements, INSEE codes, coordinates), radii and filters, deterministically.
local places = {
  "q=Paris", "q=Lyon", "q=Marseille", "q=Toulouse", "q=Nice", "q=Nantes", "q=Strasbourg",
  "q=Montpellier", "q=Bordeaux", "q=Lille", "q=Rennes", "q=Grenoble", "q=Saint-%C3%89tienne",
  "q=Mende", "q=Aurillac", "q=Gu%C3%A9ret", "q=Millau", "q=Cahors", "q=Ajaccio",
  "q=69003", "q=75015", "q=13008", "q=75116", "q=33000", "q=01400", "q=48000",
  "insee=69383", "insee=75056", "insee=31555", "insee=2A004", "insee=97411",
  "code_postal=69007", "code_postal=59000",
  "lat=45.7603&lon=4.8490", "lat=48.8566&lon=2.3522", "lat=43.2965&lon=5.3698",
  "lat=44.5178&lon=3.5012", "lat=47.2184&lon=-1.5536",
}
local filters = {
  "", "", "", "&enfants=1", "&teleconsultation=1", "&disponible=1", "&langue=en",
  "&enfants=1&teleconsultation=1", "&rayon=5", "&rayon=20", "&rayon=50&disponible=1",
  "&par_page=50", "&langue=ar&rayon=30", "&nom=mar",
}
local i = 0
request = function()
  i = i + 1
  local p = places[(i % #places) + 1]
  local f = filters[(math.floor(i / #places) % #filters) + 1]
  return wrk.format("GET", "/api/psychologues?" .. p .. f)
end
done = function(summary, latency, requests)
  io.write(string.format("non_2xx=%d\n", summary.errors.status))
end
