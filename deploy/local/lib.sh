# shellcheck shell=bash
# Shared by deploy/local/{up,down,status}: paths, versions, and per-server install / start /
# readiness / stop functions. Sourced, never run. Every server binds 127.0.0.1 only.
#
#   MESHTEL_LOCAL_CACHE          downloads (default deploy/local/.cache)
#   MESHTEL_LOCAL_RUN            data, configs, pid files, logs (default deploy/local/.run)
#   MESHTEL_LOCAL_START_TIMEOUT  seconds to wait for each server to become ready (default per server)
#   MESHTEL_JAVA_HOME            JDK 17 for Kafka and Elasticsearch (default: found under /usr/lib/jvm)
#   MESHTEL_MAVEN_CENTRAL        Maven Central base URL (default https://repo1.maven.org/maven2)
#   MESHTEL_LOCAL_KAFKA_PORT, MESHTEL_LOCAL_KAFKA_CONTROLLER_PORT, MESHTEL_LOCAL_ES_PORT,
#   MESHTEL_LOCAL_REDIS_PORT, MESHTEL_LOCAL_PROMETHEUS_PORT
#                                ports (defaults 9092, 9093, 9200, 6379, 9090); with MESHTEL_LOCAL_RUN
#                                they let a second, private instance run beside the shared one

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$LOCAL_DIR/../.." && pwd)
# shellcheck source=deploy/local/versions.env
source "$LOCAL_DIR/versions.env"

CACHE_DIR=${MESHTEL_LOCAL_CACHE:-$LOCAL_DIR/.cache}
RUN_DIR=${MESHTEL_LOCAL_RUN:-$LOCAL_DIR/.run}
LOG_DIR=$RUN_DIR/logs
LOCK_DIR=$RUN_DIR/locks
MAVEN_CENTRAL=${MESHTEL_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}

ALL_SERVERS=(kafka elasticsearch redis prometheus)

KAFKA_PORT=${MESHTEL_LOCAL_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${MESHTEL_LOCAL_KAFKA_CONTROLLER_PORT:-9093}
ES_PORT=${MESHTEL_LOCAL_ES_PORT:-9200}
REDIS_PORT=${MESHTEL_LOCAL_REDIS_PORT:-6379}
PROMETHEUS_PORT=${MESHTEL_LOCAL_PROMETHEUS_PORT:-9090}

ES_USER=meshtel-es

log() { printf '[deploy/local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# generic helpers

validate_names() {
  local n
  for n in "$@"; do
    case "$n" in
      kafka | elasticsearch | redis | prometheus) ;;
      *) die "unknown server '$n' (known: ${ALL_SERVERS[*]})" ;;
    esac
  done
}

address_of() {
  case "$1" in
    kafka) echo "127.0.0.1:$KAFKA_PORT" ;;
    elasticsearch) echo "http://127.0.0.1:$ES_PORT" ;;
    redis) echo "redis://127.0.0.1:$REDIS_PORT" ;;
    prometheus) echo "http://127.0.0.1:$PROMETHEUS_PORT" ;;
  esac
}

default_timeout_of() {
  case "$1" in
    kafka) echo 120 ;;
    elasticsearch) echo 240 ;;
    redis) echo 20 ;;
    prometheus) echo 60 ;;
  esac
}

pidfile_of() { echo "$RUN_DIR/$1/$1.pid"; }
logfile_of() {
  case "$1" in
    kafka) echo "$LOG_DIR/kafka/server.log" ;;
    elasticsearch) echo "$LOG_DIR/elasticsearch/meshtel-local.log" ;;
    redis) echo "$LOG_DIR/redis.log" ;;
    prometheus) echo "$LOG_DIR/prometheus.log" ;;
  esac
}
# stdout/stderr of the process itself (JVM crash messages land here rather than in the log file)
outfile_of() { echo "$LOG_DIR/$1.out"; }

# Pid recorded by deploy/local, if that process is alive.
managed_pid() {
  local f pid
  f=$(pidfile_of "$1")
  [[ -s "$f" ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # a stale pid file may name a reused pid: check that it is really this server
  local marker
  case "$1" in
    kafka) marker=kafka.Kafka ;;
    elasticsearch) marker=org.elasticsearch ;;
    redis) marker=redis-server ;;
    prometheus) marker=prometheus ;;
  esac
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$marker" || return 1
  echo "$pid"
}

tcp_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

with_lock() {
  # with_lock <name> <command...>: serialise up/down of one server across concurrent callers
  local name=$1
  shift
  mkdir -p "$LOCK_DIR"
  (
    flock -w 900 9 || die "timed out waiting for the $name lock ($LOCK_DIR/$name.lock)"
    "$@"
  ) 9>"$LOCK_DIR/$name.lock"
}

# Run a server command without the lock's file descriptor, so the daemon never holds the lock.
detach() {
  "$@" 9>&-
}

print_log_tail() {
  local name=$1 f
  for f in "$(logfile_of "$name")" "$(outfile_of "$name")"; do
    if [[ -s "$f" ]]; then
      log "---- last lines of $f ----"
      tail -n 40 "$f" >&2
    fi
  done
}

# The pid deploy/local/up started, while that process (or the shell about to exec it) is alive.
# wait_ready uses this rather than managed_pid: right after the fork the child may still be the
# shell that is about to exec the server, so its command line does not name the server yet, and
# the marker check would wrongly report the server as gone ("exited before becoming ready" with
# nothing in its logs: seen on loaded machines when the first readiness probe beat the exec).
started_pid() {
  local f pid
  f=$(pidfile_of "$1")
  [[ -s "$f" ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

exitfile_of() { echo "$RUN_DIR/$1/$1.exit"; }

# Why a started server is gone: its exit status (recorded by launch_detached), what holds its
# ports now, and its log tails.
explain_exit() {
  local name=$1 status port
  if [[ -s "$(exitfile_of "$name")" ]]; then
    status=$(cat "$(exitfile_of "$name")")
    if ((status > 128)); then
      log "$name exited with status $status (killed by signal $((status - 128))$( ((status == 137)) && echo ': SIGKILL, e.g. the kernel OOM killer'))"
    else
      log "$name exited with status $status"
    fi
  else
    log "$name exited; no exit status recorded"
  fi
  for port in $(ports_of "$name"); do
    if command -v ss >/dev/null && ss -Htan "sport = :$port" 2>/dev/null | grep -q .; then
      log "port $port now: $(ss -Htanp "sport = :$port" 2>/dev/null | awk '{print $1, $4, $5, $6}' | sort | uniq -c | tr '\n' ';')"
    fi
  done
  print_log_tail "$name"
}

ports_of() {
  case "$1" in
    kafka) echo "$KAFKA_PORT $KAFKA_CONTROLLER_PORT" ;;
    elasticsearch) echo "$ES_PORT" ;;
    redis) echo "$REDIS_PORT" ;;
    prometheus) echo "$PROMETHEUS_PORT" ;;
  esac
}

# launch_detached <name> <command...>: runs the server in its own session, detached from the lock,
# writes its pid file, and records its exit status in <name>.exit when it ends, so a server
# that dies during start-up is reported with its status instead of silently.
launch_detached() {
  local name=$1
  shift
  rm -f "$(exitfile_of "$name")" "$(pidfile_of "$name")"
  # The wrapper shell forks the server and waits for it; the pid file names the server itself,
  # which is what down signals and status checks.
  setsid nohup bash -c '
    pidfile=$1 exitfile=$2 outfile=$3
    shift 3
    "$@" >>"$outfile" 2>&1 </dev/null &
    echo $! >"$pidfile"
    wait $!
    echo $? >"$exitfile"
  ' launch "$(pidfile_of "$name")" "$(exitfile_of "$name")" "$(outfile_of "$name")" "$@" \
    >/dev/null 2>&1 </dev/null 9>&- &
  # Return once the pid file exists, so callers can watch that pid.
  local _
  for _ in $(seq 1 100); do
    [[ -s "$(pidfile_of "$name")" ]] && return 0
    sleep 0.05
  done
  die "$name: launcher did not record a pid within 5 s"
}

wait_ready() {
  # wait_ready <name>: poll <name>_ready until it passes, the process dies, or the time runs out
  local name=$1 timeout start pid
  timeout=${MESHTEL_LOCAL_START_TIMEOUT:-$(default_timeout_of "$name")}
  start=$SECONDS
  while ! "${name}_ready"; do
    if ! pid=$(started_pid "$name"); then
      # A last look: it may have become ready just as it was checked.
      "${name}_ready" && break
      log "$name exited before becoming ready (after $((SECONDS - start))s)"
      explain_exit "$name"
      die "$name failed to start (logs under $LOG_DIR)"
    fi
    if ((SECONDS - start >= timeout)); then
      log "$name (pid $pid) not ready after ${timeout}s"
      print_log_tail "$name"
      die "$name did not become ready within ${timeout}s; it is left running for inspection (deploy/local/down $name stops it)"
    fi
    sleep 1
  done
  log "$name ready at $(address_of "$name") ($((SECONDS - start))s)"
}

# wait_ports_free <name>: before a start, wait (bounded) until nothing listens on the server's
# ports: a previous instance that is still exiting would make the new one fail to bind.
wait_ports_free() {
  local name=$1 port waited=0
  for port in $(ports_of "$name"); do
    while tcp_open "$port"; do
      if ((waited >= 60)); then
        log "port $port is still taken after 30 s:"
        command -v ss >/dev/null && ss -Htanp "sport = :$port" >&2
        die "$name cannot start: port $port is in use"
      fi
      ((waited == 0)) && log "port $port still in use (previous $name exiting?); waiting"
      sleep 0.5
      waited=$((waited + 1))
    done
  done
}

stop_pid() {
  # stop_pid <name> <pid> <grace seconds>: SIGTERM, wait, then SIGKILL
  local name=$1 pid=$2 grace=$3 waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= grace * 5)); then
      log "$name (pid $pid) still running after ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
}

need_root_for() {
  ((EUID == 0)) || die "$1 needs root (apt-get); install it by hand or rerun as root"
}

apt_install() {
  # apt_install <package>...: non-interactive; `apt-get update` only when the first attempt fails.
  need_root_for "installing $*"
  local policy=/usr/sbin/policy-rc.d created=0
  # Debian's packages start their services on install where an init system lets them; we start
  # our own instances, so forbid that for the duration (unless a policy is already in place).
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1
  fi
  local rc=0
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1; then
    log "apt-get install $* failed; running apt-get update and retrying"
    apt-get update -q >>"$LOG_DIR/apt.log" 2>&1 || true
    apt-get install -y -q --no-install-recommends "$@" >>"$LOG_DIR/apt.log" 2>&1 || rc=$?
  fi
  ((created)) && rm -f "$policy"
  if ((rc != 0)); then
    tail -n 20 "$LOG_DIR/apt.log" >&2
    die "apt-get install $* failed (see $LOG_DIR/apt.log)"
  fi
}

find_java_home() {
  local cand
  for cand in "${MESHTEL_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-"$(dpkg --print-architecture 2>/dev/null || echo amd64)" /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-1.17.0-openjdk-*; do
    [[ -n "$cand" && -x "$cand/bin/java" ]] && { echo "$cand"; return 0; }
  done
  if command -v java >/dev/null; then
    cand=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    "$cand/bin/java" -version 2>&1 | grep -q 'version "17' && { echo "$cand"; return 0; }
  fi
  die "no JDK 17 found; set MESHTEL_JAVA_HOME"
}

download() {
  # download <url> <dest>: to a temp file, then renamed, so an interrupted download never counts
  local url=$1 dest=$2
  mkdir -p "$(dirname "$dest")"
  log "downloading $url"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$dest.part" "$url" || die "download failed: $url"
  mv -f "$dest.part" "$dest"
}

# ---------------------------------------------------------------------------------------------
# Kafka: broker jars from Maven Central, single-node KRaft (broker+controller)

KAFKA_HOME=$CACHE_DIR/kafka/$KAFKA_VERSION
KAFKA_RUN=$RUN_DIR/kafka

kafka_installed() { [[ -f "$KAFKA_HOME/.complete" ]]; }

kafka_install() {
  command -v mvn >/dev/null || die "mvn (Maven) is needed to resolve the Kafka jars"
  mkdir -p "$KAFKA_HOME"
  log "resolving org.apache.kafka:kafka_$KAFKA_SCALA_VERSION:$KAFKA_VERSION and its runtime dependencies with Maven"
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local (meshtel): the Kafka broker's runtime classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.meshtel</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$KAFKA_SCALA_VERSION</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_RELOAD4J_VERSION</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>$RELOAD4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$KAFKA_HOME/libs.part"
  if ! mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs.part" >"$LOG_DIR/kafka-mvn.log" 2>&1; then
    tail -n 30 "$LOG_DIR/kafka-mvn.log" >&2
    die "Maven could not resolve the Kafka jars (see $LOG_DIR/kafka-mvn.log)"
  fi
  rm -rf "$KAFKA_HOME/libs"
  mv "$KAFKA_HOME/libs.part" "$KAFKA_HOME/libs"
  touch "$KAFKA_HOME/.complete"
  log "Kafka $KAFKA_VERSION: $(find "$KAFKA_HOME/libs" -name '*.jar' | wc -l) jars in $KAFKA_HOME/libs"
}

kafka_java() {
  "$(find_java_home)/bin/java" -cp "$KAFKA_HOME/libs/*" \
    -Dlog4j.configuration="file:$LOCAL_DIR/kafka/log4j.properties" \
    -Dkafka.logs.dir="$LOG_DIR/kafka" "$@"
}

kafka_write_config() {
  mkdir -p "$KAFKA_RUN/data" "$LOG_DIR/kafka"
  # Settings are kept in step with the kafka service of docker-compose.yml.
  cat >"$KAFKA_RUN/server.properties" <<EOF
# Generated by deploy/local/up on each start; edit deploy/local/lib.sh instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_RUN/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
}

kafka_start() {
  kafka_write_config
  local cluster_id_file=$KAFKA_RUN/cluster.id
  if [[ ! -s "$cluster_id_file" ]]; then
    kafka_java kafka.tools.StorageTool random-uuid 2>>"$(outfile_of kafka)" | tail -n 1 >"$cluster_id_file.part"
    [[ $(wc -c <"$cluster_id_file.part") -ge 22 ]] || die "could not generate a Kafka cluster id (see $(outfile_of kafka))"
    mv "$cluster_id_file.part" "$cluster_id_file"
  fi
  if [[ ! -f "$KAFKA_RUN/data/meta.properties" ]]; then
    log "formatting Kafka storage in $KAFKA_RUN/data"
    kafka_java kafka.tools.StorageTool format -t "$(cat "$cluster_id_file")" \
      -c "$KAFKA_RUN/server.properties" --ignore-formatted >>"$(outfile_of kafka)" 2>&1 ||
      { print_log_tail kafka; die "kafka storage format failed"; }
  fi
  log "starting Kafka $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT"
  wait_ports_free kafka
  local java
  # Resolved here, not in the child, so the child execs the JVM at once.
  java="$(find_java_home)/bin/java"
  (
    cd "$KAFKA_RUN" || exit 1
    launch_detached kafka "$java" -Xms256m -Xmx512m \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -cp "$KAFKA_HOME/libs/*" \
      -Dlog4j.configuration="file:$LOCAL_DIR/kafka/log4j.properties" \
      -Dkafka.logs.dir="$LOG_DIR/kafka" \
      kafka.Kafka "$KAFKA_RUN/server.properties"
  )
}

kafka_ready() {
  # ApiVersions v0 on the broker listener: KRaft brokers only serve requests once they have
  # caught up with the metadata log and registered, so an answer means the broker is usable.
  tcp_open "$KAFKA_PORT" || return 1
  local reply
  reply=$(timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/'"$KAFKA_PORT"'
    # size=14 | api_key=18 (ApiVersions) | version=0 | correlation_id=7 | client_id="ping"
    printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x07\x00\x04ping" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"
  ' 2>/dev/null) || return 1
  # bytes 4..7 = correlation id 7, bytes 8..9 = error code 0
  [[ "${reply:8:12}" == "000000070000" ]]
}

kafka_stop_grace() { echo 30; }

# ---------------------------------------------------------------------------------------------
# Elasticsearch: the integ-test-zip (no bundled JDK, no painless/reindex/ILM/ingest-common)

ES_HOME=$CACHE_DIR/elasticsearch/elasticsearch-$ES_VERSION
ES_RUN=$RUN_DIR/elasticsearch

elasticsearch_installed() { [[ -f "$ES_HOME/.complete" ]]; }

elasticsearch_install() {
  command -v unzip >/dev/null || apt_install unzip
  local base=$MAVEN_CENTRAL/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION
  local zip=$CACHE_DIR/elasticsearch/elasticsearch-$ES_VERSION.zip
  if [[ ! -f "$zip" ]]; then
    download "$base/elasticsearch-$ES_VERSION.zip" "$zip.tmp"
    local want got
    want=$(curl -fsSL "$base/elasticsearch-$ES_VERSION.zip.sha1" | tr -dc '0-9a-f' | head -c 40) || want=
    got=$(sha1sum "$zip.tmp" | cut -c1-40)
    if [[ -n "$want" && "$want" != "$got" ]]; then
      rm -f "$zip.tmp"
      die "checksum mismatch for elasticsearch-$ES_VERSION.zip (want $want, got $got)"
    fi
    mv "$zip.tmp" "$zip"
  fi
  log "unpacking $zip"
  rm -rf "$ES_HOME" "$ES_HOME.part"
  mkdir -p "$ES_HOME.part"
  unzip -q "$zip" -d "$ES_HOME.part"
  mv "$ES_HOME.part/elasticsearch-$ES_VERSION" "$ES_HOME"
  rmdir "$ES_HOME.part"
  # the server user only reads the distribution
  chmod -R a+rX "$ES_HOME"
  touch "$ES_HOME/.complete"
}

elasticsearch_prepare_user() {
  # ES refuses to run as root: run it as a dedicated system user that owns the run dirs.
  ((EUID == 0)) || return 0
  if ! id -u "$ES_USER" >/dev/null 2>&1; then
    log "creating system user $ES_USER"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER"
  fi
  # the user must be able to reach the distribution and run dirs
  local d
  for d in "$ES_HOME" "$ES_RUN"; do
    runuser -u "$ES_USER" -- test -r "$d" -a -x "$d" ||
      die "$ES_USER cannot read $d (a parent directory is not world-searchable?); set MESHTEL_LOCAL_CACHE/MESHTEL_LOCAL_RUN elsewhere"
  done
}

elasticsearch_start() {
  local java_home conf=$ES_RUN/config
  java_home=$(find_java_home)
  mkdir -p "$ES_RUN/data" "$ES_RUN/tmp" "$LOG_DIR/elasticsearch"
  # A config dir of our own, writable by the server (it creates its keystore there). The JVM's
  # relative paths in jvm.options (gc.log, hs_err) land in path.logs, ES's working directory.
  if [[ ! -f "$conf/.version" || "$(cat "$conf/.version")" != "$ES_VERSION" ]]; then
    rm -rf "$conf"
    cp -r "$ES_HOME/config" "$conf"
    # Kept in step with the elasticsearch service of docker-compose.yml.
    cat >"$conf/elasticsearch.yml" <<EOF
# Generated by deploy/local (meshtel).
cluster.name: meshtel-local
node.name: meshtel-local-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
path.data: $ES_RUN/data
path.logs: $LOG_DIR/elasticsearch
xpack.security.enabled: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: true
EOF
    echo "$ES_VERSION" >"$conf/.version"
  fi
  rm -f "$(pidfile_of elasticsearch)"
  if ((EUID == 0)); then
    elasticsearch_prepare_user
    chown -R "$ES_USER:" "$ES_RUN" "$LOG_DIR/elasticsearch"
    touch "$(outfile_of elasticsearch)" && chown "$ES_USER:" "$(outfile_of elasticsearch)"
  fi
  local -a as_user=()
  ((EUID == 0)) && as_user=(runuser -u "$ES_USER" --)
  log "starting Elasticsearch $ES_VERSION on 127.0.0.1:$ES_PORT"
  (
    cd "$ES_RUN" || exit 1
    # with -d the launcher returns once the node has started (or failed); bound that wait too
    detach timeout "${MESHTEL_LOCAL_START_TIMEOUT:-$(default_timeout_of elasticsearch)}" \
      "${as_user[@]}" env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$conf" ES_TMPDIR="$ES_RUN/tmp" \
      ES_JAVA_OPTS="-Xms512m -Xmx512m" \
      "$ES_HOME/bin/elasticsearch" -d -p "$(pidfile_of elasticsearch)" \
      >>"$(outfile_of elasticsearch)" 2>&1 </dev/null
  ) || { print_log_tail elasticsearch; die "elasticsearch failed to start"; }
}

elasticsearch_ready() {
  local body
  body=$(curl -fsS --max-time 3 "http://127.0.0.1:$ES_PORT/_cluster/health" 2>/dev/null) || return 1
  [[ "$body" =~ \"status\":\"(green|yellow)\" ]]
}

elasticsearch_stop_grace() { echo 40; }

# ---------------------------------------------------------------------------------------------
# Redis: Debian's redis-server, our own config and pid file

REDIS_RUN=$RUN_DIR/redis

redis_installed() { command -v redis-server >/dev/null && command -v redis-cli >/dev/null; }
redis_install() { apt_install redis-server redis-tools; }

redis_start() {
  mkdir -p "$REDIS_RUN/data"
  local have
  have=$(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-)
  [[ "$have" == "$REDIS_VERSION".* ]] || log "warning: redis-server $have found, expected $REDIS_VERSION.x"
  # Kept in step with the redis service of docker-compose.yml.
  cat >"$REDIS_RUN/redis.conf" <<EOF
# Generated by deploy/local/up on each start.
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile $(pidfile_of redis)
logfile $(logfile_of redis)
loglevel notice
dir $REDIS_RUN/data
dbfilename dump.rdb
save 3600 1 300 100 60 10000
appendonly no
EOF
  log "starting Redis $have on 127.0.0.1:$REDIS_PORT"
  rm -f "$(pidfile_of redis)"
  detach redis-server "$REDIS_RUN/redis.conf" >>"$(outfile_of redis)" 2>&1 || { print_log_tail redis; die "redis-server failed to start"; }
  # daemonize: the pid file appears shortly after the parent exits
  for _ in $(seq 1 50); do
    [[ -s "$(pidfile_of redis)" ]] && break
    sleep 0.1
  done
}

redis_ready() {
  command -v redis-cli >/dev/null || return 1
  [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

redis_stop_grace() { echo 15; }

# ---------------------------------------------------------------------------------------------
# Prometheus: Debian's prometheus with the remote-write receiver, our config

PROMETHEUS_RUN=$RUN_DIR/prometheus

prometheus_installed() { command -v prometheus >/dev/null; }
prometheus_install() { apt_install prometheus; }

prometheus_start() {
  mkdir -p "$PROMETHEUS_RUN/data"
  local have
  have=$(prometheus --version 2>&1 | grep -o 'version [0-9.]*' | head -n 1 | cut -d' ' -f2)
  [[ "$have" == "$PROMETHEUS_VERSION".* ]] || log "warning: prometheus $have found, expected $PROMETHEUS_VERSION.x"
  log "starting Prometheus $have on 127.0.0.1:$PROMETHEUS_PORT"
  (
    cd "$PROMETHEUS_RUN" || exit 1
    # Flags kept in step with the prometheus service of docker-compose.yml.
    setsid nohup prometheus \
      --config.file="$REPO_ROOT/deploy/prometheus/prometheus.yml" \
      --storage.tsdb.path="$PROMETHEUS_RUN/data" \
      --storage.tsdb.retention.time=1d \
      --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
      --web.enable-remote-write-receiver \
      >>"$(logfile_of prometheus)" 2>&1 </dev/null 9>&- &
    echo $! >"$(pidfile_of prometheus)"
  )
}

prometheus_ready() {
  curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 2>/dev/null
}

prometheus_stop_grace() { echo 20; }

# ---------------------------------------------------------------------------------------------
# the three verbs, for one server each

server_up() {
  local name=$1
  mkdir -p "$RUN_DIR/$name" "$LOG_DIR"
  if "${name}_ready"; then
    if managed_pid "$name" >/dev/null; then
      log "$name already running at $(address_of "$name")"
    else
      log "$name already answering at $(address_of "$name") (not started by deploy/local; reusing it)"
    fi
    return 0
  fi
  if ! managed_pid "$name" >/dev/null; then
    if ! "${name}_installed"; then
      local t=$SECONDS
      "${name}_install"
      log "$name installed in $((SECONDS - t))s"
    fi
    "${name}_start"
  else
    log "$name (pid $(managed_pid "$name")) is running but not ready yet; waiting"
  fi
  wait_ready "$name"
}

server_down() {
  local name=$1 pid
  if pid=$(managed_pid "$name"); then
    log "stopping $name (pid $pid)"
    stop_pid "$name" "$pid" "$("${name}_stop_grace")"
    rm -f "$(pidfile_of "$name")"
    log "$name stopped"
  elif "${name}_ready"; then
    log "$name answers at $(address_of "$name") but was not started by deploy/local; leaving it alone"
  else
    rm -f "$(pidfile_of "$name")"
    log "$name is not running"
  fi
}

server_status() {
  # prints one line; returns 0 when the server is ready
  local name=$1 pid state rc=0
  if pid=$(managed_pid "$name"); then
    if "${name}_ready"; then state="ready      pid $pid"; else state="not ready  pid $pid (starting or unhealthy)"; rc=1; fi
  elif "${name}_ready"; then
    state="ready      (not started by deploy/local)"
  else
    state="stopped"
    rc=1
  fi
  printf '%-14s %-24s %s\n' "$name" "$(address_of "$name")" "$state"
  return $rc
}
