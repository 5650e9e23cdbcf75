// Expectations on what the endpoint received beyond how many requests
// matched: that the requests of a pattern share one value of a header (the
// retries of a record keep their webhook-id), and that a key's sequence
// never goes back in arrival order.
#pragma once

#include "journey_sim/runner.hpp"
#include "journey_sim/scenario.hpp"
#include "webhook_mock/journal.hpp"
#include "webhook_mock/request_pattern.hpp"

namespace journey_sim {

// Every request `pattern` matches carries the header `x.same_header`, all
// with one value; no request matching fails it too (nothing was compared).
ExpectationResult check_same_header(const RequestExpectation& x, const webhook_mock::RequestPattern& pattern,
                                    const webhook_mock::Journal& journal);

// Per `x.key` (a JSON path into the body), `x.sequence` never goes back.
ExpectationResult check_order(const OrderExpectation& x, const webhook_mock::Journal& journal);

}  // namespace journey_sim
