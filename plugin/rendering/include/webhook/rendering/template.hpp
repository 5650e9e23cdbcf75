// Mustache-style templates, compiled once at create time and rendered per
// record with escaping that fits where each placeholder stands, so that data
// can never change the shape of a request.
#pragma once

#include <webhook/rendering/record_reader.hpp>

#include <boost/json/value.hpp>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

// Where a placeholder's value ends up, which decides its escaping.
enum class Context {
  text,         // inserted as is (a `text` body)
  url,          // percent-encoded: every byte but A-Z a-z 0-9 - . _ ~
  header,       // inserted as is; a control character fails the record
  json_string,  // inside a JSON string: JSON-escaped
  json_value,   // stands as a whole JSON value: the value with its JSON type
  form,         // application/x-www-form-urlencoded value
};

enum class BodyFormat { json, form, text };

// What a record offers to templates: its values read by a RecordReader for
// the paths the templates were bound to (none without a record), and the
// step's constants.
struct RenderInput {
  const RecordValues* record = nullptr;
  std::string_view api_key;
  std::string_view activation_name;
  std::string_view activation_id;
};

class Template {
 public:
  Template();
  ~Template();
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;

  // Compiles `source`. Placeholders get `context`, except in a json body
  // where each gets json_string or json_value from where it stands. On
  // failure returns false and appends a sentence per problem to `errors`.
  bool compile(std::string_view source, Context context, std::vector<std::string>& errors);
  bool compile_body(std::string_view source, BodyFormat format, std::vector<std::string>& errors);

  // Gives each record variable its slot in `paths` (adding the paths it
  // reads). A template that reads the record renders only once bound, with
  // values read for the same `paths`.
  void bind(RecordPaths& paths);

  // Appends the rendering to `out`. On failure returns false and sets
  // `error` (naming the variable); `out` is then unspecified.
  bool render(const RenderInput& input, std::string& out, std::string& error) const;

  // The source with every placeholder replaced by `stand_in` (for checks).
  std::string probe(std::string_view stand_in) const;

  bool empty() const;
  bool has_placeholders() const;
  bool uses_api_key() const;
  // False when every placeholder is a constant of the step (auth.api_key,
  // activation.name, activation.id): the rendering is the same for every
  // record and can be made once.
  bool depends_on_record() const;
  const std::string& source() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SHA-256 of `data` into `digest` (32 bytes), and as lower-case hex.
void sha256(std::string_view data, unsigned char* digest);
// The same over the concatenation of `parts`, without making it.
void sha256(std::initializer_list<std::string_view> parts, unsigned char* digest);
std::string sha256_hex(std::string_view data);

}  // namespace webhook
