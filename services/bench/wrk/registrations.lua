-- wrk script: every request a distinct, valid registration.
-- Applicant i gets a NIK whose birth-date digits agree with birth_date (born
-- 1960-1999, so always adult), a serial that makes it unique, and matching
-- name, email, phone and family-card number. Threads interleave their i.
--   wrk -t2 -c64 -d15s -s services/bench/wrk/registrations.lua http://127.0.0.1:8080
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local firsts = { "Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Sri", "Wayan" }
local lasts = { "Rahayu", "Santoso", "Lestari", "Saputra", "Wibowo", "Hidayat", "Kusuma", "Putri" }
local counter = 0
local step = 2

function init(args)
  tid = tid or 0
  step = tonumber(os.getenv("WRK_THREADS") or "2")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local floor = math.floor

function request()
  counter = counter + 1
  local i = counter * step + tid
  local serial = 1 + i % 9999
  local k = floor(i / 9999)
  local day = 1 + k % 28
  k = floor(k / 28)
  local month = 1 + k % 12
  k = floor(k / 12)
  local year = 1960 + k % 40
  local district = 10 + floor(k / 40) % 90
  local female = i % 2 == 1
  local nik = string.format("3174%02d%02d%02d%02d%04d", district, female and day + 40 or day,
    month, year % 100, serial)
  local body = string.format(
    '{"nik":"%s","kk_number":"3174%02d%010d","full_name":"%s %s","birth_date":"%04d-%02d-%02d",' ..
    '"email":"applicant.%d@example.id","phone":"0812%08d","employment_status":"laid_off",' ..
    '"in_education":false}',
    nik, district, i, firsts[1 + i % 8], lasts[1 + floor(i / 8) % 8], year, month, day, i,
    i % 100000000)
  return wrk.format(nil, "/v1/registrations", nil, body)
end
