// The response reader takes whatever the endpoint sends. Fuzzed for: no
// crash, no undefined behaviour, bounds (the excerpt, the surplus), and the
// same verdict however the bytes are split: the whole stream in one call
// against pieces of sizes drawn from the input itself (as TCP may deliver
// them), then the end of the stream.
//
// Input: byte 0 is a HEAD request when odd; byte 1 seeds the split; the rest
// is the stream.
#include "fuzz_check.hpp"
#include <webhook/transport/http_response.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

using webhook::ResponseReader;

namespace {

struct Verdict {
  ResponseReader::Progress progress = ResponseReader::Progress::more;
  int status = 0;
  bool keep_alive = false;
  std::size_t surplus = 0;
  std::string retry_after, excerpt;
};

Verdict take(ResponseReader& reader, ResponseReader::Progress progress, std::size_t fed) {
  Verdict v;
  v.progress = progress;
  if (progress == ResponseReader::Progress::complete) {
    v.status = reader.status();
    v.keep_alive = reader.keep_alive();
    v.surplus = reader.surplus();
    v.retry_after = reader.retry_after();
    v.excerpt = reader.excerpt();
    FUZZ_CHECK(v.surplus <= fed, "more surplus than bytes fed");
    FUZZ_CHECK(v.excerpt.size() <= ResponseReader::kExcerptLimit, "excerpt over its limit");
    FUZZ_CHECK(v.status >= 200 && v.status <= 999, "a final response with a status out of range");
    // Bytes after a complete response (a stray second one) poison the
    // connection: it never carries another request.
    if (v.surplus > 0) FUZZ_CHECK(!v.keep_alive, "a connection with bytes after its response kept alive");
  }
  if (progress == ResponseReader::Progress::error) FUZZ_CHECK(!reader.error().empty(), "an error without a message");
  return v;
}

// Feeds `stream` in pieces (all of it at once when `seed` is 0), stopping
// at the first verdict, then the end of the stream if none came.
Verdict run(const char* stream, std::size_t size, bool head, std::uint8_t seed) {
  ResponseReader reader;
  reader.reset(head);
  std::size_t offset = 0;
  std::uint32_t state = seed;
  while (offset < size) {
    std::size_t piece = size - offset;
    if (seed != 0) {
      state = state * 1103515245u + 12345u;
      piece = std::min<std::size_t>(piece, 1 + (state >> 16) % 17);
    }
    auto progress = reader.feed(stream + offset, piece);
    offset += piece;
    if (progress != ResponseReader::Progress::more) {
      // What the reader did not take is surplus: the bytes after this piece
      // were never fed.
      return take(reader, progress, offset);
    }
  }
  return take(reader, reader.feed_eof(), offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool head = (data[0] & 1) != 0;
  const std::uint8_t seed = static_cast<std::uint8_t>(data[1] | 1);
  const char* stream = reinterpret_cast<const char*>(data + 2);
  const std::size_t length = size - 2;
  Verdict whole = run(stream, length, head, 0);
  Verdict split = run(stream, length, head, seed);
  FUZZ_CHECK(whole.progress == split.progress, "the verdict depends on how the bytes were split");
  if (whole.progress == ResponseReader::Progress::complete) {
    FUZZ_CHECK(whole.status == split.status, "the status depends on the split");
    FUZZ_CHECK(whole.retry_after == split.retry_after, "Retry-After depends on the split");
    FUZZ_CHECK(whole.excerpt == split.excerpt, "the body's excerpt depends on the split");
    // Keep-alive compares only without surplus: the split run stops feeding
    // at the end of its piece, so its surplus is that piece's rest.
    if (whole.surplus == 0 && split.surplus == 0) {
      FUZZ_CHECK(whole.keep_alive == split.keep_alive, "keep-alive depends on the split");
    }
  }
  return 0;
}
