"""A Python HTTP server for tend's cluster mode, standard library only.

It serves on the socket tend passes (LISTEN_FDS, fd 3), tells tend it is
ready with sd_notify READY=1, and on SIGTERM stops accepting and lets the
request in progress finish.
"""
import os
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"python instance {os.environ.get('TEND_INSTANCE')} pid {os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def notify(message):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), path)


def main():
    server = HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.socket.close()
    if os.environ.get("LISTEN_PID") == str(os.getpid()) and int(os.environ.get("LISTEN_FDS", "0")) >= 1:
        server.socket = socket.socket(fileno=3)
    else:  # run alone: bind PORT itself
        server.socket = socket.create_server(("127.0.0.1", int(os.environ.get("PORT", "3003"))))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"python: serving on {server.socket.getsockname()}", flush=True)
    notify("READY=1\nSTATUS=serving")
    server.serve_forever()
    server.socket.close()


if __name__ == "__main__":
    main()
