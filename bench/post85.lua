-- An 85-byte JSON POST, as a webhook delivery.
wrk.method = "POST"
wrk.body = '{"event_id":"evt-00001","profile":{"id":"user-42"},"event":{"name":"purchase","v":1}}'
wrk.headers["Content-Type"] = "application/json"
