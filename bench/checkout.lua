-- wrk script: the full checkout a merchant's shop runs for each order —
-- inventory check, ONLINE create, then confirm (the server asks the
-- merchant's payment API, a static mock). Each wrk thread keeps a queue of
-- created orders to confirm; a response is told apart by its body, since
-- wrk does not say which request it answers. Orders per second = confirms
-- answered 200 per second (the "confirmed" counter printed at the end).
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("c%d-%d-", tid, os.time())
  counter = 0
  checks = 0
  to_create = 0
  to_confirm = {}
  confirmed = 0
  failed = 0
  base = wrk.path
end

local user = '"user":{"email":"a@example.com","mobile":"9611002324","first_name":"A","last_name":"B",' ..
  '"address":{"pincode":"560103","contact_number":"9611002324","name":"A B","street1":"x","street2":"","type":"home"}}'

function request()
  local c = table.remove(to_confirm)
  if c then
    return wrk.format("PUT", base .. "/orders/" .. c.oid .. "/confirm", nil,
      string.format('{"merchant_order_id":"%s","order_id":"%s"}', c.moid, c.oid))
  end
  if to_create > 0 then
    to_create = to_create - 1
    counter = counter + 1
    return wrk.format("POST", base .. "/orders", nil, string.format(
      '{"merchant_order_id":"%s%d","payable_amount":"129.00","payment_method":"ONLINE",%s,"skus":{"BENCH%d":1}}',
      prefix, counter, user, math.random(1, 100)))
  end
  checks = checks + 1
  return wrk.format("POST", base .. "/inventory/check", nil,
    string.format('{"skus":{"BENCH%d":1},"pincode":"560103"}', math.random(1, 100)))
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    if failed < 3 then print("status " .. status .. ": " .. body) end
    return
  end
  if body:find('"vas_charges"', 1, true) then
    to_create = to_create + 1
  elseif body:find('"map_payment"', 1, true) then
    local oid = body:match('"order_id":%s*"(PO%d+)"')
    local moid = body:match('"merchant_order_id":%s*"([^"]+)"')
    if oid and moid then table.insert(to_confirm, {oid = oid, moid = moid}) end
  else
    confirmed = confirmed + 1
  end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + (t:get("confirmed") or 0) end
  io.write(string.format("confirmed %d\n", n))
end
