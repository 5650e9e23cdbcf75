#include "output_runner/redis_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace output_runner {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct RedisConnection::Impl {
  explicit Impl(RedisOptions o) : options(std::move(o)), tls_context(asio::ssl::context::tls_client) {}

  RedisOptions options;
  asio::io_context io;
  asio::ssl::context tls_context;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  std::string in;   // bytes read and not yet parsed
  std::string out;  // the commands of one exchange

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Runs one asynchronous step to its end (or its timeout) on this thread.
  template <class Start>
  error_code run(std::chrono::milliseconds timeout, Start start) {
    error_code result = asio::error::would_block;
    lowest().expires_after(timeout);
    start([&result](error_code ec, std::size_t = 0) { result = ec; });
    io.restart();
    io.run();
    return result;
  }

  bool open(std::string& error);
  bool hello(std::string& error);
  bool write_all(std::chrono::milliseconds timeout, std::string& error);
  bool read_reply(resp::Parser& parser, resp::Reply& reply, std::chrono::milliseconds timeout, std::string& error);
};

RedisConnection::RedisConnection(RedisOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
RedisConnection::~RedisConnection() = default;

bool RedisConnection::connected() const { return impl_->plain || impl_->tls; }

void RedisConnection::close() {
  if (impl_->tls) beast::get_lowest_layer(*impl_->tls).close();
  if (impl_->plain) impl_->plain->close();
  impl_->tls.reset();
  impl_->plain.reset();
  impl_->in.clear();
}

bool RedisConnection::Impl::open(std::string& error) {
  const RedisUrl& url = options.url;
  tcp::resolver resolver(io);
  error_code ec;
  const auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return error = "resolve " + url.host + ": " + ec.message(), false;
  if (url.tls) {
    tls_context.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) tls_context.set_default_verify_paths(ec);
    else tls_context.load_verify_file(options.ca_file, ec);
    if (ec) return error = "--redis-ca '" + options.ca_file + "': " + ec.message(), false;
    tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, tls_context);
    tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    // SNI for a host name (RFC 6066 allows no IP address there).
    error_code not_an_address;
    asio::ip::make_address(url.host, not_an_address);
    if (not_an_address && SSL_ctrl(tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                   const_cast<char*>(url.host.c_str())) != 1) {
      return error = "tls: cannot set the server name", false;
    }
  } else {
    plain = std::make_unique<beast::tcp_stream>(io);
  }
  ec = run(options.timeout, [&](auto handler) { lowest().async_connect(endpoints, [handler](error_code e, const tcp::endpoint&) { handler(e); }); });
  if (ec) return error = "connect " + url.text() + ": " + ec.message(), false;
  lowest().socket().set_option(tcp::no_delay(true), ec);
  if (tls) {
    ec = run(options.timeout, [&](auto handler) { tls->async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec) return error = "tls handshake with " + url.text() + ": " + ec.message(), false;
  }
  return true;
}

// AUTH and SELECT as the URL and the password say.
bool RedisConnection::Impl::hello(std::string& error) {
  std::vector<resp::Command> commands;
  if (!options.password.empty()) {
    if (options.url.user.empty()) commands.push_back({"AUTH", options.password});
    else commands.push_back({"AUTH", options.url.user, options.password});
  }
  if (options.url.db != 0) commands.push_back({"SELECT", std::to_string(options.url.db)});
  if (commands.empty()) return true;
  out.clear();
  for (const auto& c : commands) resp::encode(c, out);
  if (!write_all(options.timeout, error)) return false;
  resp::Parser parser;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    resp::Reply reply;
    if (!read_reply(parser, reply, options.timeout, error)) return false;
    // Redis's own words ("WRONGPASS invalid username-password pair"); never the password.
    if (reply.is_error()) return error = std::string(commands[i][0]) + " refused by Redis: " + reply.text, false;
  }
  return true;
}

bool RedisConnection::Impl::write_all(std::chrono::milliseconds timeout, std::string& error) {
  const error_code ec = run(timeout, [&](auto handler) {
    if (tls) asio::async_write(*tls, asio::buffer(out), handler);
    else asio::async_write(*plain, asio::buffer(out), handler);
  });
  if (ec) return error = "write to Redis: " + ec.message(), false;
  return true;
}

bool RedisConnection::Impl::read_reply(resp::Parser& parser, resp::Reply& reply, std::chrono::milliseconds timeout,
                                       std::string& error) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t wanted = 0;
  for (;;) {
    if (in.size() >= wanted) {
      std::size_t used = 0;
      std::string why;
      const auto result = parser.parse(in, reply, used, why);
      if (result == resp::Parser::Result::complete) {
        in.erase(0, used);
        return true;
      }
      if (result == resp::Parser::Result::invalid) return error = "Redis sent " + why, false;
      wanted = parser.wanted();
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return error = "no reply from Redis within " + std::to_string(timeout.count()) + " ms", false;
    const std::size_t before = in.size();
    in.resize(before + std::max<std::size_t>(std::size_t{64} * 1024, wanted > before ? wanted - before : 0));
    std::size_t got = 0;
    const error_code ec = run(left, [&](auto handler) {
      auto done = [handler, &got](error_code e, std::size_t n) { got = n, handler(e); };
      if (tls) tls->async_read_some(asio::buffer(in.data() + before, in.size() - before), done);
      else plain->async_read_some(asio::buffer(in.data() + before, in.size() - before), done);
    });
    in.resize(before + got);
    if (ec == beast::error::timeout) return error = "no reply from Redis within " + std::to_string(timeout.count()) + " ms", false;
    if (ec) return error = "read from Redis: " + ec.message(), false;
  }
}

bool RedisConnection::connect(std::string& error) {
  close();
  if (impl_->open(error) && impl_->hello(error)) return true;
  close();
  return false;
}

bool RedisConnection::exchange(const std::vector<resp::Command>& commands, std::vector<resp::Reply>& replies,
                               std::string& error, std::chrono::milliseconds extra) {
  replies.clear();
  if (!connected()) return error = "not connected to Redis", false;
  impl_->out.clear();
  for (const auto& c : commands) resp::encode(c, impl_->out);
  const auto timeout = impl_->options.timeout + extra;
  bool ok = impl_->write_all(timeout, error);
  resp::Parser parser;
  for (std::size_t i = 0; ok && i < commands.size(); ++i) {
    replies.emplace_back();
    ok = impl_->read_reply(parser, replies.back(), timeout, error);
  }
  if (!ok) close();
  return ok;
}

bool RedisConnection::command(const resp::Command& command, resp::Reply& reply, std::string& error,
                              std::chrono::milliseconds extra) {
  std::vector<resp::Reply> replies;
  if (!exchange({command}, replies, error, extra)) return false;
  reply = std::move(replies.front());
  return true;
}

}  // namespace output_runner
