-- wrk script: COD orders with unique merchant_order_ids, one SKU.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = string.format("b%d-%d-", tid, os.time())
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"merchant_order_id":"%s%d","payable_amount":"129.00","payment_method":"COD",' ..
    '"user":{"email":"a@example.com","mobile":"9611002324","first_name":"A","last_name":"B",' ..
    '"address":{"pincode":"560103","contact_number":"9611002324","name":"A B","street1":"x","street2":"","type":"home"}},' ..
    '"skus":{"BENCH1":1}}', prefix, counter)
  return wrk.format("POST", wrk.path, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors_seen = (errors_seen or 0) + 1
    if errors_seen < 3 then print("status " .. status .. ": " .. body) end
  end
end
