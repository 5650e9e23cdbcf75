#include "http_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <optional>
#include <type_traits>

namespace webhook {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kResponseBodyLimit = 1 << 20;
constexpr std::size_t kResponseExcerpt = 1024;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string describe(std::string_view step, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return std::string(step) + ": timed out";
  return std::string(step) + ": " + ec.message();
}

template <class Stream>
class ConnectionImpl final : public Connection, public std::enable_shared_from_this<ConnectionImpl<Stream>> {
 public:
  ConnectionImpl(asio::io_context& io, asio::ssl::context* tls, const TransportSettings& settings,
                 ConnectionOwner& owner)
      : settings_(settings), owner_(&owner), resolver_(io), stream_(make_stream(io, tls)) {}

  void send(const Job& job, std::string attempt_headers) override {
    job_ = &job;
    attempt_headers_ = std::move(attempt_headers);
    if (connected_) {
      reused_ = true;
      do_write();
    } else {
      reused_ = false;
      do_resolve();
    }
  }

  void abandon() override {
    owner_ = nullptr;
    job_ = nullptr;
    resolver_.cancel();
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  const Job* job() const override { return job_; }

 private:
  static Stream make_stream(asio::io_context& io, asio::ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return Stream(io, *tls);
    } else {
      (void)tls;
      return Stream(io);
    }
  }

  std::string host_without_brackets() const {
    const std::string& h = settings_.host;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') return h.substr(1, h.size() - 2);
    return h;
  }

  void do_resolve() {
    resolver_.async_resolve(host_without_brackets(), std::to_string(settings_.port),
                            [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                              tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  void on_resolve(const boost::system::error_code& ec, tcp::resolver::results_type results) {
    if (ec) return fail(describe("resolve", ec));
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(settings_.connect_timeout);
    lowest.async_connect(results, [self = this->shared_from_this()](const boost::system::error_code& connect_ec,
                                                                    const tcp::endpoint&) { self->on_connect(connect_ec); });
  }

  void on_connect(const boost::system::error_code& ec) {
    if (ec) return fail(describe("connect", ec));
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      std::string host = host_without_brackets();
      boost::system::error_code address_ec;
      asio::ip::make_address(host, address_ec);
      // SNI carries names only, never addresses (RFC 6066 section 3).
      if (address_ec && SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                 host.data()) != 1) {
        return fail("tls: cannot set the server name (SNI)");
      }
      if (settings_.verify) {
        stream_.set_verify_mode(asio::ssl::verify_peer);
        stream_.set_verify_callback(asio::ssl::host_name_verification(host));
      } else {
        stream_.set_verify_mode(asio::ssl::verify_none);
      }
      beast::get_lowest_layer(stream_).expires_after(settings_.connect_timeout);
      stream_.async_handshake(asio::ssl::stream_base::client,
                              [self = this->shared_from_this()](const boost::system::error_code& handshake_ec) {
                                self->on_handshake(handshake_ec);
                              });
    } else {
      connected_ = true;
      do_write();
    }
  }

  void on_handshake(const boost::system::error_code& ec) {
    if (ec) {
      AttemptResult result;
      result.error = describe("tls handshake", ec);
      if (ec.category() == asio::error::get_ssl_category() &&
          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        result.tls_verification_failed = true;
        if constexpr (std::is_same_v<Stream, TlsStream>) {
          long verify = SSL_get_verify_result(stream_.native_handle());
          result.error = std::string("tls handshake: certificate verification failed: ") +
                         X509_verify_cert_error_string(verify);
        }
      }
      return finish(std::move(result));
    }
    connected_ = true;
    do_write();
  }

  void do_write() {
    const Job& job = *job_;
    std::array<asio::const_buffer, 4> buffers{asio::buffer(job.head), asio::buffer(attempt_headers_),
                                              asio::buffer("\r\n", 2), asio::buffer(job.body)};
    beast::get_lowest_layer(stream_).expires_after(settings_.write_timeout);
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                        self->on_write(ec);
                      });
  }

  void on_write(const boost::system::error_code& ec) {
    if (ec) return fail(describe("write", ec), true);
    parser_.emplace();
    parser_->body_limit(kResponseBodyLimit);
    beast::get_lowest_layer(stream_).expires_after(settings_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](const boost::system::error_code& read_ec, std::size_t) {
                       self->on_read(read_ec);
                     });
  }

  void on_read(const boost::system::error_code& ec) {
    if (ec) {
      bool nothing = !parser_->got_some();
      return fail(describe("read", ec), nothing);
    }
    auto& response = parser_->get();
    AttemptResult result;
    result.status = static_cast<int>(response.result_int());
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      result.retry_after = std::string(it->value());
    }
    const std::string& body = response.body();
    result.response_excerpt = body.substr(0, kResponseExcerpt);
    result.reusable = response.keep_alive();
    finish(std::move(result));  // closes the socket unless reusable
  }

  void fail(std::string error, bool nothing_received = false) {
    AttemptResult result;
    result.error = std::move(error);
    result.stale_keep_alive = reused_ && nothing_received;
    finish(std::move(result));
  }

  void finish(AttemptResult result) {
    if (!result.reusable) close_socket();
    ConnectionOwner* owner = owner_;
    job_ = nullptr;
    if (owner != nullptr) owner->on_attempt_done(this->shared_from_this(), std::move(result));
  }

  void close_socket() {
    connected_ = false;
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  TransportSettings settings_;
  ConnectionOwner* owner_;
  tcp::resolver resolver_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  const Job* job_ = nullptr;
  std::string attempt_headers_;
  bool connected_ = false;
  bool reused_ = false;
};

}  // namespace

std::shared_ptr<Connection> make_connection(asio::io_context& io, asio::ssl::context* tls,
                                            const TransportSettings& settings, ConnectionOwner& owner) {
  if (settings.tls) return std::make_shared<ConnectionImpl<TlsStream>>(io, tls, settings, owner);
  return std::make_shared<ConnectionImpl<PlainStream>>(io, tls, settings, owner);
}

}  // namespace webhook
