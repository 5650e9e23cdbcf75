#include "webhook_mock/server.hpp"

#include "webhook_mock/admin_api.hpp"
#include "framing.hpp"
#include <webhook_common/certificates.hpp>
#include "webhook_mock/journal.hpp"
#include "webhook_mock/journal_json.hpp"
#include "webhook_mock/stubs.hpp"

#include <boost/json/serialize.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace webhook_mock {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds kAcceptPause{100};
constexpr std::chrono::seconds kAcceptCalm{1};

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::connection_reset_by_peer: return "CONNECTION_RESET_BY_PEER";
    case Fault::empty_response: return "EMPTY_RESPONSE";
    case Fault::malformed_response_chunk: return "MALFORMED_RESPONSE_CHUNK";
    case Fault::random_data_then_close: return "RANDOM_DATA_THEN_CLOSE";
    case Fault::none: break;
  }
  return "";
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  asio::io_context io;
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};  // out of file descriptors: accepting again after it
  std::uint64_t accept_refusals = 0;    // accepts failed for lack of descriptors, this episode
  std::chrono::steady_clock::time_point last_refusal;
  std::vector<std::thread> threads;
  std::string ca_pem;
  std::uint16_t bound_port = 0;
  std::atomic<bool> stopped{false};

  Journal journal;
  StubStore stubs;
  std::string base;  // base URL, set once bound
  std::mutex responder_mutex;
  std::shared_ptr<const Responder> responder;
  std::atomic<std::uint64_t> connections{0};
  int record_fd = -1;
  std::mutex record_mutex;

  explicit Impl(ServerOptions o) : options(std::move(o)), journal(options.journal_limit) {}
  ~Impl() {
    if (record_fd >= 0) ::close(record_fd);
  }

  std::string base_url() const {
    std::string host = options.bind_address;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(options.https ? "https://" : "http://") + host + ":" + std::to_string(bound_port);
  }

  void start() {
    if (options.https) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
      std::string cert = options.certificate_pem, key = options.private_key_pem;
      if (cert.empty()) {
        auto generated = webhook_common::generate_certificates();
        cert = generated.server_certificate_pem;
        key = generated.server_key_pem;
        ca_pem = generated.ca_certificate_pem;
      }
      boost::system::error_code ec;
      tls->use_certificate_chain(asio::buffer(cert), ec);
      if (!ec) tls->use_private_key(asio::buffer(key), asio::ssl::context::pem, ec);
      if (ec) throw std::runtime_error("https: cannot use the certificate or key: " + ec.message());
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.bind_address, ec);
    if (ec) throw std::runtime_error("bind address '" + options.bind_address + "' is not an IP address");
    tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + options.bind_address + ":" + std::to_string(options.port) + ": " +
                               ec.message());
    }
    bound_port = acceptor.local_endpoint().port();
    base = base_url();
    if (!options.record_to.empty()) {
      record_fd = ::open(options.record_to.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (record_fd < 0) throw std::runtime_error("cannot open --record-to '" + options.record_to + "': " + std::strerror(errno));
    }
    do_accept();
    unsigned n = std::max(1u, options.threads);
    for (unsigned i = 0; i < n; ++i) threads.emplace_back([this] { io.run(); });
  }

  void stop() {
    if (stopped.exchange(true)) return;
    asio::post(io, [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      accept_pause.cancel();
    });
    io.stop();
    for (auto& t : threads) t.join();
    threads.clear();
  }

  void do_accept() {
    // One thread needs no strand: every handler already runs in order.
    auto executor = options.threads > 1 ? asio::any_io_executor(asio::make_strand(io)) : asio::any_io_executor(io.get_executor());
    acceptor.async_accept(executor, [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (out_of_descriptors(ec)) return pause_accepting(ec);
      if (!ec) {
        if (accept_refusals > 0) maybe_accepting_again();
        connections.fetch_add(1, std::memory_order_relaxed);
        start_session(std::move(socket));
      }
      do_accept();
    });
  }

  static bool out_of_descriptors(const boost::system::error_code& ec) {
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
      return true;
    }
    return ec.category() == boost::system::system_category() && ec.value() == ENFILE;
  }

  // Out of file descriptors, accept fails at once for as long as a
  // connection waits in the backlog: retried at once, it spun at half a core,
  // silently. It pauses instead, says so once, and counts.
  void pause_accepting(const boost::system::error_code& ec) {
    last_refusal = std::chrono::steady_clock::now();
    if (accept_refusals++ == 0) {
      log("cannot accept connections: " + ec.message() + "; pausing " + std::to_string(kAcceptPause.count()) +
          " ms between attempts until descriptors are free (connections wait in the backlog)");
    }
    accept_pause.expires_after(kAcceptPause);
    accept_pause.async_wait([this](boost::system::error_code wait_ec) {
      if (wait_ec || !acceptor.is_open()) return;
      do_accept();
    });
  }

  // The episode ends once accepting has gone on for a while without a
  // refusal: while the backlog drains, accepts may still outrun closes.
  void maybe_accepting_again() {
    if (std::chrono::steady_clock::now() - last_refusal < kAcceptCalm) return;
    log("accepting connections again, after " + std::to_string(accept_refusals) +
        " attempts refused for lack of file descriptors");
    accept_refusals = 0;
  }

  void log(const std::string& line) const {
    if (options.log) return options.log(line);
    std::string text = "webhook-mock: " + line + "\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, text.data(), text.size());
  }

  void start_session(tcp::socket socket);

  // Decides the answer; journals the request unless it was for the admin API.
  Response answer(RecordedRequest& request) {
    if (request.path.starts_with("/__admin/")) {
      AdminTargets targets{journal, stubs, base};
      return handle_admin(request, targets);
    }
    if (request.path.starts_with("/__webhooks/")) return handle_webhook_checks(request, journal);
    request.id = random_uuid();
    std::shared_ptr<const Responder> current;
    {
      std::lock_guard lock(responder_mutex);
      current = responder;
    }
    Response response;
    if (current && *current) {
      response = (*current)(request);
      request.was_matched = true;
    } else {
      StubAnswer stub = stubs.answer(request, options.default_status);
      response = std::move(stub.response);
      request.stub_id = std::move(stub.stub_id);
      request.match_error = std::move(stub.match_error);
      request.was_matched = !request.stub_id.empty();
      if (request.was_matched) response.headers.emplace_back("Matched-Stub-Id", request.stub_id);
    }
    request.answered_status = response.fault == Fault::none ? response.status : 0;
    request.fault = fault_name(response.fault);
    if (record_fd >= 0) append_record(request);
    if (options.observe) options.observe(request);
    journal.add(std::move(request));
    return response;
  }

  // One line per entry with a single write(2) before the answer is sent:
  // once a client has its answer, the line is in the kernel and survives a
  // kill -9 of this process.
  void append_record(const RecordedRequest& request) {
    json::value stub = nullptr;
    if (!request.stub_id.empty()) {
      if (auto s = stubs.get(request.stub_id)) stub = std::move(*s);
    }
    json::value definition = json::object{{"status", request.answered_status}};
    if (const auto* o = stub.if_object(); o && o->contains("response")) definition = o->at("response");
    json::value event = serve_event_json(request, base, std::move(definition), stub);
    repair_utf8(event);  // a line of JSON whatever bytes the request carried
    std::string line = json::serialize(event);
    line += '\n';
    std::lock_guard lock(record_mutex);
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      ssize_t n = ::write(record_fd, data, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
};

namespace {

// Plain sockets, not beast::tcp_stream: its per-operation timer cost a
// tenth of a request. Idle connections are closed by a watchdog that fires
// once per idle period instead.
using TlsStream = asio::ssl::stream<tcp::socket>;

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Server::Impl* server, Stream stream)
      : server_(server), stream_(std::move(stream)), timer_(stream_.get_executor()), idle_timer_(stream_.get_executor()) {}

  void run() {
    boost::system::error_code ec;
    auto remote = socket().remote_endpoint(ec);
    if (!ec) client_ = remote.address().to_string() + ":" + std::to_string(remote.port());
    last_activity_ = std::chrono::steady_clock::now();
    watch();
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      busy_ = true;
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](boost::system::error_code handshake_ec) {
                                self->busy_ = false;
                                if (handshake_ec) return self->close();
                                self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, TlsStream>) return stream_.next_layer();
    else return stream_;
  }

  // Closes the connection once it has been idle (waiting for a request, or a
  // handshake that does not come) for idle_timeout.
  void watch() {
    idle_timer_.expires_at(last_activity_ + server_->options.idle_timeout);
    idle_timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      auto idle_since = self->busy_ ? std::chrono::steady_clock::now() : self->last_activity_;
      if (std::chrono::steady_clock::now() - idle_since >= self->server_->options.idle_timeout) return self->close();
      if (self->busy_) self->last_activity_ = std::chrono::steady_clock::now();
      self->watch();
    });
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.header_limit));
    parser_->body_limit(server_->options.body_limit);
    last_activity_ = std::chrono::steady_clock::now();
    busy_ = false;
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  // The header is in, the body not yet: refuse what RFC 9112 refuses before
  // reading a byte of it, and say 100 Continue to a client that waits for it.
  void on_header(boost::system::error_code ec) {
    if (ec) return on_read(ec);
    const auto& header = parser_->get().base();
    RequestFraming framing;
    framing.version = header.version();
    framing.host_fields = header.count(http::field::host);
    framing.content_length = header.count(http::field::content_length) > 0;
    for (auto [it, end] = header.equal_range(http::field::transfer_encoding); it != end; ++it) {
      framing.transfer_encodings.emplace_back(it->value().data(), it->value().size());
    }
    if (std::string problem = framing_problem(framing); !problem.empty()) {
      return reject(http::status::bad_request, "malformed HTTP request: " + problem);
    }
    if (parser_->is_done()) return on_read({});
    // The body would be refused for its size before this (413, at the header).
    if (header.version() >= 11 && buffer_.size() == 0 && beast::iequals(header[http::field::expect], "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                        [self = this->shared_from_this()](boost::system::error_code write_ec, std::size_t) {
                          if (write_ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    // The body usually came with its header: parsed here, it costs no
    // second read (whose completion is one more trip through the queue).
    while (!parser_->is_done() && buffer_.size() > 0) {
      boost::system::error_code put_ec;
      const std::size_t used = parser_->put(buffer_.data(), put_ec);
      buffer_.consume(used);
      if (put_ec == http::error::need_more || (!put_ec && used == 0)) break;
      if (put_ec) return on_read(put_ec);
    }
    if (parser_->is_done()) return on_read({});
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(boost::system::error_code ec) {
    busy_ = true;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted) return close();
    if (ec == http::error::header_limit) return reject(http::status::request_header_fields_too_large, "headers too large");
    if (ec == http::error::body_limit) return reject(http::status::payload_too_large, "body too large");
    if (ec) {
      if (parser_->got_some()) return reject(http::status::bad_request, "malformed HTTP request: " + ec.message());
      return close();
    }
    auto& message = parser_->get();
    RecordedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    // Sized once: a journal of a million requests keeps every spare slot.
    request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    request.client_address = client_;
    request.received_ms = unix_ms();
    keep_alive_ = message.keep_alive();
    http_1_0_ = message.version() < 11;
    response_ = server_->answer(request);
    if (response_.delay.count() > 0) {
      timer_.expires_after(response_.delay);
      timer_.async_wait([self = this->shared_from_this()](boost::system::error_code) { self->respond(); });
    } else {
      respond();
    }
  }

  void respond() {
    switch (response_.fault) {
      case Fault::none: break;
      case Fault::connection_reset_by_peer: {
        boost::system::error_code ignored;
        closed_ = true;
        idle_timer_.cancel();
        socket().set_option(asio::socket_base::linger(true, 0), ignored);
        socket().close(ignored);
        return;
      }
      case Fault::empty_response: return close();
      case Fault::malformed_response_chunk:
        raw_ = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nlorem ipsum dolor sit amet";
        return write_raw_then_close();
      case Fault::random_data_then_close:
        raw_.resize(512);
        RAND_bytes(reinterpret_cast<unsigned char*>(raw_.data()), static_cast<int>(raw_.size()));
        return write_raw_then_close();
    }
    // The answer is formatted by hand into one buffer: Beast's serializer
    // cost a third of a journaled request's time.
    raw_.clear();
    raw_.append("HTTP/1.1 ").append(std::to_string(response_.status)).append(1, ' ');
    auto reason = http::obsolete_reason(static_cast<http::status>(response_.status));
    raw_.append(reason.data(), reason.size()).append("\r\n");
    for (const auto& [name, value] : response_.headers) raw_.append(name).append(": ").append(value).append("\r\n");
    raw_.append("Content-Length: ").append(std::to_string(response_.body.size())).append("\r\n");
    // HTTP/1.0 keeps a connection only when both ends say so (ab -k waits
    // for the answer's keep-alive, or for the close).
    if (!keep_alive_) raw_.append("Connection: close\r\n");
    else if (http_1_0_) raw_.append("Connection: keep-alive\r\n");
    raw_.append("\r\n").append(response_.body);
    asio::async_write(stream_, asio::buffer(raw_), [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec || !self->keep_alive_) return self->close();
      self->do_read();
    });
  }

  void reject(http::status status, std::string text) {
    out_.emplace();
    out_->version(11);
    out_->result(status);
    out_->set(http::field::content_type, "text/plain");
    out_->body() = std::move(text) + "\n";
    out_->keep_alive(false);
    out_->prepare_payload();
    http::async_write(stream_, *out_, [self = this->shared_from_this()](boost::system::error_code, std::size_t) {
      self->close();
    });
  }

  void write_raw_then_close() {
    asio::async_write(stream_, asio::buffer(raw_), [self = this->shared_from_this()](boost::system::error_code,
                                                                                       std::size_t) { self->close(); });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    idle_timer_.cancel();
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    socket().close(ignored);
  }

  Server::Impl* server_;  // outlives every session: sessions die with its io_context
  Stream stream_;
  asio::steady_timer timer_;       // a response's fixed delay
  asio::steady_timer idle_timer_;  // the idle watchdog
  std::chrono::steady_clock::time_point last_activity_;
  bool busy_ = false;    // between a request and the end of its answer
  bool closed_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> out_;
  Response response_;
  std::string raw_;
  std::string client_;
  bool keep_alive_ = true;
  bool http_1_0_ = false;
};

}  // namespace

void Server::Impl::start_session(tcp::socket socket) {
  if (tls) {
    std::make_shared<Session<TlsStream>>(this, TlsStream(std::move(socket), *tls))->run();
  } else {
    std::make_shared<Session<tcp::socket>>(this, std::move(socket))->run();
  }
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) { impl_->start(); }

Server::~Server() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; the threads are joined or gone
  }
}

void Server::stop() { impl_->stop(); }

std::uint16_t Server::port() const { return impl_->bound_port; }

std::string Server::base_url() const { return impl_->base; }

const std::string& Server::ca_certificate_pem() const { return impl_->ca_pem; }

void Server::set_responder(Responder responder) {
  auto shared = responder ? std::make_shared<const Responder>(std::move(responder)) : nullptr;
  std::lock_guard lock(impl_->responder_mutex);
  impl_->responder = std::move(shared);
}

StubStore& Server::stubs() { return impl_->stubs; }
const Journal& Server::journal() const { return impl_->journal; }

std::vector<RecordedRequest> Server::requests() const { return impl_->journal.snapshot(); }
std::size_t Server::count() const { return impl_->journal.size(); }
std::uint64_t Server::total_received() const { return impl_->journal.total(); }
std::uint64_t Server::evicted() const { return impl_->journal.evicted(); }
std::uint64_t Server::connections_accepted() const { return impl_->connections.load(); }
void Server::clear_journal() { impl_->journal.clear(); }

bool Server::wait_for_total(std::uint64_t n, std::chrono::milliseconds timeout) const {
  return impl_->journal.wait([&] { return impl_->journal.total() >= n; }, timeout);
}

}  // namespace webhook_mock
