#include <webhook_common/http_client.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <poll.h>

namespace webhook_common::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

template <class Stream>
HttpResponse exchange(Stream& stream, const std::string& host, const HttpRequest& request) {
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  req.set(http::field::host, host);
  for (const auto& [name, value] : request.headers) req.insert(name, value);
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") req.prepare_payload();
  HttpResponse out;
  boost::system::error_code ec;
  http::write(stream, req, ec);
  if (ec) {
    out.error = "write: " + ec.message();
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{64} * 1024 * 1024);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    out.error = "read: " + ec.message();
    return out;
  }
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = res.body();
  return out;
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

HttpResponse send(const std::string& base_url, const HttpRequest& request, const std::string& ca_pem) {
  bool tls = base_url.starts_with("https://");
  std::string authority = base_url.substr(tls ? 8 : 7);
  auto colon = authority.rfind(':');
  std::string host = authority.substr(0, colon), port = authority.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  asio::io_context io;
  tcp::resolver resolver(io);
  HttpResponse out;
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) {
    out.error = "resolve: " + ec.message();
    return out;
  }
  if (!tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(endpoints, ec);
    if (ec) {
      out.error = "connect: " + ec.message();
      return out;
    }
    return exchange(stream, authority, request);
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(ca_pem), ec);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (!ec) stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    out.error = "tls: " + ec.message();
    return out;
  }
  return exchange(stream, authority, request);
}

HttpResponse get(const std::string& base_url, const std::string& target) {
  return send(base_url, {"GET", target, {}, {}});
}

HttpResponse post(const std::string& base_url, const std::string& target, const std::string& body,
                  std::vector<std::pair<std::string, std::string>> headers) {
  return send(base_url, {"POST", target, body, std::move(headers)});
}

HttpResponse del(const std::string& base_url, const std::string& target) {
  return send(base_url, {"DELETE", target, {}, {}});
}

RawResult raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  RawResult out;
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return out;
  asio::write(socket, asio::buffer(bytes), ec);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{socket.native_handle(), POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) break;
    std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    if (ec == asio::error::eof) {
      out.closed = true;
      break;
    }
    if (ec == asio::error::connection_reset) {
      out.reset = true;
      break;
    }
    if (ec) break;
    out.received.append(chunk, n);
  }
  return out;
}

}  // namespace webhook_common::client
