#include <webhook/transport/http_connection.hpp>

#include <webhook/transport/http_response.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "tls_verification.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace webhook {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// When a phase's deadline is counted from. CLOCK_MONOTONIC_COARSE is the
// clock steady_clock reads (CLOCK_MONOTONIC), at the kernel's tick of a few
// ms, and costs a quarter of a precise read: a deadline of whole seconds
// needs no more, and the I/O thread sets two per request.
Clock::time_point coarse_now() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                                       std::chrono::nanoseconds(now.tv_nsec)));
}

constexpr std::size_t kReadBuffer = 4096;

// The io_context's own executor rather than the type-erased any_io_executor
// of tcp::socket: no type erasure on every handler's dispatch.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Resolver = asio::ip::basic_resolver<tcp, Executor>;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;
using PlainStream = Socket;
using TlsStream = asio::ssl::stream<Socket>;

std::string describe(std::string_view step, const boost::system::error_code& ec) {
  return std::string(step) + ": " + ec.message();
}

// Plain sockets and a hand-written response reader, not beast::tcp_stream
// and beast::http::async_read: the per-operation timers and type-erased
// executors cost about a third of the I/O thread's time per request. Each
// phase (connect, handshake, write, read) still gets its own deadline; one
// timer per connection enforces it lazily, waking once per timeout period
// rather than once per operation.
template <class Stream>
class ConnectionImpl final : public Connection, public std::enable_shared_from_this<ConnectionImpl<Stream>> {
 public:
  ConnectionImpl(asio::io_context& io, asio::ssl::context* tls, const ConnectionSettings& settings,
                 ConnectionOwner& owner)
      : settings_(settings), owner_(&owner), resolver_(io), stream_(make_stream(io, tls)), watchdog_(io) {
    boost::system::error_code not_an_address;
    const auto address = asio::ip::make_address(host_without_brackets(), not_an_address);
    if (!not_an_address) address_ = address;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // Asio sets SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's 16 KiB
      // record buffers whenever a connection is idle and allocates them
      // again for the next record: several allocations per request, to
      // save ~34 KiB per connection (2 MiB at 64). Keep them.
      SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    }
  }

  void send(Request request) override {
    request_ = std::move(request);
    sending_ = true;
    reader_.set_excerpt_limit(request_.excerpt_bytes);
    reader_.reset(request_.is_head());
    read_error_ = {};
    if (connected_) {
      reused_ = true;
      do_write();
    } else {
      reused_ = false;
      do_resolve();
    }
  }

  Request abandon() override {
    owner_ = nullptr;
    resolver_.cancel();
    close_socket();
    if (!std::exchange(sending_, false)) return {};
    return std::move(request_);
  }

 private:
  static Stream make_stream(asio::io_context& io, asio::ssl::context* tls) {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      return Stream(io, *tls);
    } else {
      (void)tls;
      return Stream(io);
    }
  }

  Socket& socket() {
    if constexpr (std::is_same_v<Stream, TlsStream>) return stream_.next_layer();
    else return stream_;
  }

  std::string host_without_brackets() const {
    const std::string& h = settings_.host;
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') return h.substr(1, h.size() - 2);
    return h;
  }

  // The current phase must end within `timeout` (counted from the coarse
  // clock: up to one tick less), or the socket is closed and the phase
  // fails as timed out.
  void arm(std::chrono::milliseconds timeout) {
    deadline_ = coarse_now() + timeout;
    timed_out_ = false;
    // A watchdog already set for this deadline or earlier looks again when
    // it fires; one set for later is brought forward.
    if (watchdog_armed_ && watchdog_.expiry() <= deadline_) return;
    watchdog_armed_ = true;
    arm_at_deadline();  // cancels a later wait, if any
  }

  void disarm() { deadline_ = Clock::time_point::max(); }

  void on_watchdog(const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: closed, or replaced by an earlier deadline
    watchdog_armed_ = false;
    if (closed_ || deadline_ == Clock::time_point::max()) return;  // nothing pending: wait for the next phase
    if (Clock::now() < deadline_) return arm_at_deadline();
    // The pending operation completes with operation_aborted; its handler
    // reports the timeout.
    timed_out_ = true;
    resolver_.cancel();
    boost::system::error_code ignored;
    socket().close(ignored);
  }

  void arm_at_deadline() {
    watchdog_armed_ = true;
    watchdog_.expires_at(deadline_);
    watchdog_.async_wait([self = this->shared_from_this()](const boost::system::error_code& ec) { self->on_watchdog(ec); });
  }

  std::string describe_phase(std::string_view step, const boost::system::error_code& ec) const {
    if (timed_out_) return std::string(step) + ": timed out";
    return describe(step, ec);
  }

  void do_resolve() {
    arm(settings_.connect_timeout);
    // An address needs no lookup: connect at once, without Asio's resolver
    // thread (a thread, and a wake-up per connection, that a host driving
    // the I/O on its own thread would not expect).
    if (address_) {
      socket().async_connect(tcp::endpoint(*address_, settings_.port),
                             [self = this->shared_from_this()](const boost::system::error_code& connect_ec) {
                               self->on_connect(connect_ec);
                             });
      return;
    }
    resolver_.async_resolve(host_without_brackets(), std::to_string(settings_.port),
                            [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                              Resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

  // A handler already queued when the connection was closed (by a verdict,
  // or by the engine at shutdown) has nothing left to do.
  bool abandoned() const { return closed_ || owner_ == nullptr; }

  void on_resolve(const boost::system::error_code& ec, Resolver::results_type results) {
    if (abandoned()) return;
    if (ec) return fail(describe_phase("resolve", ec));
    asio::async_connect(socket(), results,
                        [self = this->shared_from_this()](const boost::system::error_code& connect_ec,
                                                          const tcp::endpoint&) { self->on_connect(connect_ec); });
  }

  void on_connect(const boost::system::error_code& ec) {
    if (abandoned()) return;
    if (ec) return fail(describe_phase("connect", ec));
    boost::system::error_code ignored;
    socket().set_option(tcp::no_delay(true), ignored);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      std::string host = host_without_brackets();
      // SNI carries names only, never addresses (RFC 6066 section 3).
      if (!address_ && SSL_ctrl(stream_.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                host.data()) != 1) {
        return fail("tls: cannot set the server name (SNI)");
      }
      if (settings_.verify) {
        // OpenSSL checks the name (or address) itself, so a mismatch is
        // reported as one; the callback keeps what failed, to say it.
        if (!expect_peer(stream_.native_handle(), host, address_.has_value())) {
          return fail("tls: cannot set the name to verify the certificate against");
        }
        stream_.set_verify_mode(asio::ssl::verify_peer);
        stream_.set_verify_callback([this](bool preverified, asio::ssl::verify_context& context) {
          if (!preverified && verify_failure_.empty()) verify_failure_ = describe_verify_failure(context.native_handle(), host_without_brackets());
          return preverified;
        });
      } else {
        stream_.set_verify_mode(asio::ssl::verify_none);
      }
      arm(settings_.connect_timeout);
      stream_.async_handshake(asio::ssl::stream_base::client,
                              [self = this->shared_from_this()](const boost::system::error_code& handshake_ec) {
                                self->on_handshake(handshake_ec);
                              });
    } else {
      connected_ = true;
      do_read();
      do_write();
    }
  }

  void on_handshake(const boost::system::error_code& ec) {
    if (abandoned()) return;
    if (ec) {
      AttemptResult result;
      result.error = describe_phase("tls handshake", ec);
      if (ec.category() == asio::error::get_ssl_category() &&
          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        result.tls_verification_failed = true;
        if constexpr (std::is_same_v<Stream, TlsStream>) {
          const long verify = SSL_get_verify_result(stream_.native_handle());
          result.error = "tls handshake: certificate verification failed: " +
                         (verify_failure_.empty() ? std::string(X509_verify_cert_error_string(verify)) : verify_failure_);
        }
      }
      return finish(std::move(result));
    }
    connected_ = true;
    do_read();
    do_write();
  }

  void do_write() {
    unsent_ = {asio::buffer(request_.head), asio::buffer(request_.attempt_headers), asio::buffer("\r\n", 2),
               asio::buffer(request_.body)};
    writing_ = true;
    arm(settings_.write_timeout);
    write_some();
  }

  // async_write_some until all is sent, rather than asio::async_write: the
  // composed operation cost about 6 % of the delivery thread's instructions.
  void write_some() {
    stream_.async_write_some(unsent_, [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                                       std::size_t sent) { self->on_write_some(ec, sent); });
  }

  void on_write_some(const boost::system::error_code& ec, std::size_t sent) {
    if (abandoned() || !writing_) return;
    if (ec) return on_write(ec);
    bool all_sent = true;
    for (auto& buffer : unsent_) {
      std::size_t used = std::min(sent, buffer.size());
      buffer += used;
      sent -= used;
      all_sent = all_sent && buffer.size() == 0;
    }
    if (!all_sent) return write_some();
    on_write(ec);
  }

  void on_write(const boost::system::error_code& ec) {
    writing_ = false;
    if (ec) return fail(describe_phase("write", ec), !reader_.got_some());
    arm(settings_.read_timeout);
    // The read failed while the request was still being written: its
    // error is the attempt's now.
    if (read_error_) on_read_error(std::exchange(read_error_, {}));
  }

  void do_read() {
    stream_.async_read_some(asio::buffer(buffer_),
                            [self = this->shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (abandoned()) return;
    if (!sending_) return lose_idle();  // idle: nothing may arrive, not even a close
    ResponseReader::Progress progress = ResponseReader::Progress::more;
    if (n > 0) progress = reader_.feed(buffer_.data(), n);
    if (progress == ResponseReader::Progress::more && ec) {
      if (writing_) {
        read_error_ = ec;  // told when the write ends (it may fail too: then that is the error)
        return;
      }
      return on_read_error(ec);
    }
    on_progress(progress);
  }

  void on_read_error(const boost::system::error_code& ec) {
    const bool closed_by_peer = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    if (!closed_by_peer || timed_out_) return fail(describe_phase("read", ec), !reader_.got_some());
    on_progress(reader_.feed_eof());
  }

  void on_progress(ResponseReader::Progress progress) {
    switch (progress) {
      case ResponseReader::Progress::more: return do_read();
      case ResponseReader::Progress::error: return fail(reader_.error(), !reader_.got_some());
      case ResponseReader::Progress::complete: break;
    }
    disarm();
    AttemptResult result;
    result.status = reader_.status();
    result.retry_after = reader_.retry_after();
    result.response_excerpt = reader_.excerpt();
    // A watchdog that fired as the response completed has closed the socket;
    // a response that came before the whole request was sent (an early 413)
    // leaves the request's framing unfinished; bytes beyond the response
    // (reader_.keep_alive() is false then) poison the connection.
    result.reusable = reader_.keep_alive() && !timed_out_ && !writing_;
    if (result.reusable) do_read();  // the next response, or what arrives while it is idle
    finish(std::move(result));        // closes the socket unless reusable
  }

  // An idle connection became readable: stray bytes, or the server closed
  // it. It is closed, and its owner takes it out of the idle ones.
  void lose_idle() {
    close_socket();
    if (ConnectionOwner* owner = owner_) owner->on_idle_closed(this->shared_from_this());
  }

  void fail(std::string error, bool nothing_received = false) {
    AttemptResult result;
    result.error = std::move(error);
    result.stale_keep_alive = reused_ && nothing_received;
    finish(std::move(result));
  }

  void finish(AttemptResult result) {
    disarm();
    if (!result.reusable) close_socket();
    ConnectionOwner* owner = owner_;
    sending_ = false;
    result.request = std::move(request_);
    if (owner != nullptr) owner->on_attempt_done(this->shared_from_this(), std::move(result));
  }

  void close_socket() {
    connected_ = false;
    closed_ = true;
    boost::system::error_code ignored;
    watchdog_.cancel();
    socket().close(ignored);
  }

  ConnectionSettings settings_;
  std::optional<asio::ip::address> address_;  // the host, when it is an address rather than a name
  ConnectionOwner* owner_;
  Resolver resolver_;
  Stream stream_;
  Timer watchdog_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool watchdog_armed_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  ResponseReader reader_;
  std::array<char, kReadBuffer> buffer_{};
  Request request_;       // the one being sent, owned until it is handed back
  bool sending_ = false;  // request_ is in use
  std::array<asio::const_buffer, 4> unsent_;  // what is left of the request being written
  bool connected_ = false;
  bool reused_ = false;
  bool writing_ = false;                 // the request is not all sent yet
  boost::system::error_code read_error_;  // a read that failed while writing_
  std::string verify_failure_;            // what the certificate check found wrong
};

}  // namespace

namespace {

class AsioConnectionFactory final : public ConnectionFactory {
 public:
  AsioConnectionFactory(asio::io_context& io, ConnectionSettings settings) : io_(io), settings_(std::move(settings)) {
    if (!settings_.tls) return;
    tls_.emplace(asio::ssl::context::tls_client);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (!settings_.ca_file.empty()) tls_->load_verify_file(settings_.ca_file, ec);
    else tls_->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("delivery.tls.ca_file: cannot load CA certificates: " + ec.message());
  }

  std::shared_ptr<Connection> make(ConnectionOwner& owner) override {
    if (tls_) return std::make_shared<ConnectionImpl<TlsStream>>(io_, &*tls_, settings_, owner);
    return std::make_shared<ConnectionImpl<PlainStream>>(io_, nullptr, settings_, owner);
  }

  const ConnectionSettings& settings() const override { return settings_; }

 private:
  asio::io_context& io_;
  ConnectionSettings settings_;
  std::optional<asio::ssl::context> tls_;
};

}  // namespace

std::unique_ptr<ConnectionFactory> make_asio_connection_factory(asio::io_context& io, ConnectionSettings settings) {
  return std::make_unique<AsioConnectionFactory>(io, std::move(settings));
}

}  // namespace webhook
