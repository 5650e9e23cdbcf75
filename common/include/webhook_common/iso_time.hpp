// ISO 8601 UTC times as every part writes and reads them: the plugin's
// outcome lines, the mock's journal, the simulator's scenarios and reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace webhook_common {

// Unix ms -> "2026-01-02T03:04:05.000Z": always UTC, always milliseconds.
// Times before 1970 too ("1969-12-31T23:59:59.999Z" for -1).
std::string format_iso8601(std::int64_t unix_ms);

// Whether a time read by parse_iso8601 must end with 'Z'. The scenario
// format requires it; the mock's admin API (as WireMock) takes one without.
enum class ZoneSuffix { required, optional };

// "2026-01-02T03:04:05Z", with a fraction of any length (read to the
// millisecond, the rest ignored) -> Unix ms; nullopt for anything else.
std::optional<std::int64_t> parse_iso8601(std::string_view text, ZoneSuffix zone = ZoneSuffix::required);

}  // namespace webhook_common
