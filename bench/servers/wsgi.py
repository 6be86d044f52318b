"""A WSGI app for Debian's gunicorn in bench/cluster.sh."""
import os


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("gunicorn pid %d\n" % os.getpid()).encode()]
