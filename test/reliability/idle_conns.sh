#!/usr/bin/env bash
# The control socket under abuse: 1,000 idle connections leave `tend ls`
# fast; a 200 MiB body is refused (413) without the daemon reading it; a
# header sent a byte at a time is cut at 10s; another uid is refused.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "needs python3"; exit 1; }
tend start --shell 'sleep 300' --name a >/dev/null
d=$(daemon_pid)
sock=$TEND_HOME/tend.sock
python3 - "$sock" >"$work/holder.out" 2>&1 <<'PY' &
import socket, sys, time
conns = []
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); conns.append(s)
print("holding", len(conns), flush=True)
time.sleep(30)
PY
holder=$!
for _ in $(seq 100); do grep -q holding "$work/holder.out" 2>/dev/null && break; sleep 0.1; done
read -r med p99 <<<"$(ms_p 50 tend ls)"
figure "tend ls beside 1000 idle conns, p99" "${p99}ms (median ${med})" "< 100ms" "$(le "$p99" 100)"
kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true
rss0=$(rss_kb "$d")
code=$(python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"POST /v1/apps HTTP/1.1\r\nHost: tend\r\nContent-Length: 209715200\r\n\r\n{\"apps\":[")
chunk = b"x" * (1 << 20)
try:
    for _ in range(200):
        s.sendall(chunk)
except OSError:
    pass
s.settimeout(5)
print(s.recv(100).split(b" ")[1].decode())
PY
)
rss1=$(rss_kb "$d")
figure "200 MiB body" "HTTP $code" "413" "$([ "$code" = 413 ] && echo 1 || echo 0)"
figure "daemon RSS after it (KB)" "$rss0 -> $rss1" "+8192 at most" "$(le "$rss1" $((rss0 + 8192)))"
t=$(python3 - "$sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
start = time.time()
s.settimeout(1)
for c in b"GET /v1/version HTTP/1.1\r\nHost: tend\r\n":
    try:
        s.send(bytes([c]))
        if s.recv(1, socket.MSG_PEEK) == b"": break
    except socket.timeout:
        continue
    except OSError:
        break
    if time.time() - start > 20: break
print(round(time.time() - start, 1))
PY
)
figure "a byte-a-second header cut after (s)" "$t" "<= 12" "$(le "$t" 12)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0711 "$work"; chmod 0777 "$TEND_HOME" "$sock"
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups curl -s --unix-socket "$sock" http://tend/v1/apps || true)
	chmod 0700 "$TEND_HOME" "$work"; chmod 0600 "$sock"
	figure "another uid" "$(grep -o 'may not drive[^"]*' <<<"$out" | head -c 40)" "refused" "$(grep -q 'may not drive' <<<"$out" && echo 1 || echo 0)"
fi
finish
