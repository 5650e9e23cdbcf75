// One record rendered into its request: the head (without the per-attempt
// headers) and the body, its webhook-id and ordering key, once, at submit.
#pragma once

#include "config.hpp"
#include "job.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace webhook {

// Fills `job` from `record`. A record that cannot be rendered gets
// `job.render_error` (naming the field and the variable) and no request.
void build_request(const Config& config, const boost::json::object& record, Job& job);

// "msg_" + 32 hex digits of SHA-256(activation, event id): the same for a
// resubmitted record; random for a record without an event id.
std::string make_webhook_id(std::string_view activation, std::string_view event_id);

}  // namespace webhook
