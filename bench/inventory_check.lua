-- wrk script: the seed's inventory check, over and over.
wrk.method = "POST"
wrk.body = '{"skus":{"248941":10},"pincode":"400001","coupon_code":"SEED66"}'
