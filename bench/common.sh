# Helpers shared by the benchmark scripts: loopback servers, bounded runs.
# shellcheck shell=bash

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start_nginx DIR PORT: one worker on 127.0.0.1:PORT answering 200 "ok" to
# any method, no access log. Sets NGINX_PID.
start_nginx() {
  local dir=$1 port=$2
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 'ok'; }
  }
}
CONF
  nginx -c "$dir/nginx.conf" -p "$dir" &
  NGINX_PID=$!
  wait_port "$port"
}

# make_certificates DIR: a CA (DIR/ca.pem) and a certificate for 127.0.0.1
# signed by it (DIR/server.pem, DIR/server.key), made now, never committed.
make_certificates() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=bench CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
    -extfile "$dir/san.ext" -out "$dir/server.pem" 2>/dev/null
}

# start_nginx_tls DIR HTTP_PORT HTTPS_PORT: one worker answering 200 "ok" on
# both ports, HTTPS with DIR/server.pem (make_certificates DIR). Sets NGINX_PID.
start_nginx_tls() {
  local dir=$1 http_port=$2 https_port=$3
  mkdir -p "$dir/nginx/logs"
  cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $dir/server.pem;
    ssl_certificate_key $dir/server.key;
    location / { return 200 'ok'; }
  }
}
CONF
  nginx -c "$dir/nginx/nginx.conf" -p "$dir/nginx" &
  NGINX_PID=$!
  wait_port "$http_port"
  wait_port "$https_port"
}

wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: nothing listens on 127.0.0.1:$1" >&2
  return 1
}

# start_mock BUILD DIR [ARGS...]: webhook-mock on a free port. Sets MOCK_PID, MOCK_URL.
start_mock() {
  local build=$1 dir=$2
  shift 2
  "$build/mock_endpoint/webhook-mock" --port 0 "$@" >"$dir/mock.out" 2>"$dir/mock.err" &
  MOCK_PID=$!
  for _ in $(seq 200); do grep -q '^listening on ' "$dir/mock.out" 2>/dev/null && break; sleep 0.05; done
  MOCK_URL=$(sed -n 's/^listening on //p' "$dir/mock.out" | head -n1)
  [[ -n "$MOCK_URL" ]] || { echo "bench: webhook-mock did not start" >&2; cat "$dir/mock.err" >&2; return 1; }
}

# wrk_rps URL SECONDS [CONNECTIONS]: requests/s of a 1-thread wrk run with the 85-byte POST.
wrk_rps() {
  local url=$1 seconds=$2 connections=${3:-64}
  wrk -t1 -c"$connections" -d"${seconds}s" -s "$BENCH_DIR/post85.lua" "$url" | awk '/^Requests\/sec:/ {print $2}'
}

# cpu_ticks idle|steal: "PART TOTAL" ticks of /proc/stat's cpu line, where
# PART is idle (with I/O wait) or steal (taken by the hypervisor; 0 on bare
# metal), for share_percent.
cpu_ticks() {
  awk -v part="$1" '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print (part == "steal" ? $9 : $5 + $6), t}' /proc/stat
}

# share_percent "BEFORE" "AFTER": PART's share of all CPU time between two
# cpu_ticks readings, in percent.
share_percent() {
  python3 -c 'import sys; b, a = (list(map(int, x.split())) for x in sys.argv[1:3]); print(round(100 * (a[0] - b[0]) / max(a[1] - b[1], 1), 1))' "$1" "$2"
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# median N...: the median of the numbers given (the middle one, or the mean
# of the two middle ones).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
