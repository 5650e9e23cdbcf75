// Expectations on what the endpoint received beyond how many requests
// matched: that the requests of a pattern share one value of a header (the
// retries of a record keep their webhook-id), that a key's sequence never
// goes back in arrival order, and, per record (webhook-id): signatures,
// duplicates, submit order per key, each attempt's answer.
#pragma once

#include "journey_sim/runner.hpp"
#include "journey_sim/scenario.hpp"
#include "webhook_mock/journal.hpp"
#include "webhook_mock/request_pattern.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace journey_sim {

// How many requests `pattern` matches, against the expectation's count; a
// failure's detail names the nearest request, what differs and the body it
// sent (shortened, never inside one of `secrets`). `arrived`: the count
// taken as requests arrived, used once the journal has evicted.
ExpectationResult check_count(const RequestExpectation& x, const webhook_mock::RequestPattern& pattern,
                              const webhook_mock::Journal& journal, const std::vector<std::string>& secrets,
                              std::optional<std::uint64_t> arrived = std::nullopt);

// Every request `pattern` matches carries the header `x.same_header`, all
// with one value; no request matching fails it too (nothing was compared).
ExpectationResult check_same_header(const RequestExpectation& x, const webhook_mock::RequestPattern& pattern,
                                    const webhook_mock::Journal& journal);

// Per `x.key` (a JSON path into the body), `x.sequence` never goes back.
ExpectationResult check_order(const OrderExpectation& x, const webhook_mock::Journal& journal);

// The decoded signing keys of the activations that have one (value,
// variable or file); what `signature: valid` checks against.
std::vector<std::string> signing_keys(const Scenario& s);

// Each takes the requests that matched the expectation's pattern, oldest first.
// Every one carries a valid Standard Webhooks signature under one of `keys`
// (its timestamp is the simulated clock's: not compared with arrival).
ExpectationResult check_signature(const RequestExpectation& x, const std::vector<webhook_mock::RecordedRequest>& matching,
                                  const std::vector<std::string>& keys);
// No webhook-id was answered 2xx more than once (retries after a failure are
// not duplicates); a request without webhook-id fails it.
ExpectationResult check_no_duplicates(const RequestExpectation& x,
                                      const std::vector<webhook_mock::RecordedRequest>& matching);
// Each record's requests (by webhook-id) were answered `x.attempts`, in order.
ExpectationResult check_attempts(const RequestExpectation& x, const std::vector<webhook_mock::RecordedRequest>& matching);

// webhook-id -> the record's number among the run's submits (from 0).
using SubmitOrder = std::unordered_map<std::string, std::uint64_t>;
// Per value at `x.ordered_by` in the body, the records were delivered (each
// at its first request answered 2xx) in the order they were submitted.
ExpectationResult check_ordered_by(const RequestExpectation& x, const std::vector<webhook_mock::RecordedRequest>& matching,
                                   const SubmitOrder& submitted);

// A line for each record of `ids` (webhook-ids) the journal holds: "POST
// /v1/x: 503 (Retry-After: 3600), then 200 after 1h", the waits on the
// simulated clock (from webhook-timestamp); `retry_after(stub_id)` gives the
// Retry-After the stub that answered sent ("" for none or not known).
std::vector<std::string> describe_retries(const webhook_mock::Journal& journal, const std::vector<std::string>& ids,
                                          const std::function<std::string(const std::string&)>& retry_after);

}  // namespace journey_sim
