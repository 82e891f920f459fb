"""gunicorn settings for studyapp in production: ``gunicorn -c gunicorn.conf.py "studyapp:create_app()"``.

Environment:
    PORT: port to listen on (default 8000), on ``STUDYAPP_BIND_HOST`` (default 127.0.0.1: put a
        reverse proxy such as nginx in front, and set STUDYAPP_PROXY_HOPS=1).
    WEB_CONCURRENCY: worker processes (default 2: one per core of a 2-core machine).
    STUDYAPP_THREADS: threads per worker (default 4; gthread workers).
    STUDYAPP_MAX_REQUESTS: requests after which a worker is replaced (default 20000, with up to 10%
        jitter; 0: never).
    STUDYAPP_CONFIG: config class (set it to config.ProductionConfig; see config.py).
    STUDYAPP_CONTROL_SOCKET: path of gunicorn's control socket (for ``gunicornc``), one path per
        instance; unset (the default): no control socket.
"""
import os

bind = f"{os.environ.get('STUDYAPP_BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("STUDYAPP_THREADS", "4"))
timeout = 30          # seconds a worker may spend on one request before it is restarted
graceful_timeout = 30
keepalive = 5
# Recycle a worker after this many requests (bounded memory), with jitter so not all at once. A
# worker's boot (importing and creating the app) costs about 1.2 s of CPU and leaves one worker
# fewer meanwhile: at 2,000 (the old value) bench/load.py saw a boot every few seconds, about
# 0.5 ms of CPU per request and a higher p99. 0 turns recycling off.
max_requests = int(os.environ.get("STUDYAPP_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("STUDYAPP_LOG_LEVEL", "info")
# Each worker opens its own database connections: create the app after the fork.
preload_app = False
# gunicorn (25.1+) opens a control socket for ``gunicornc`` (show workers, add or remove workers,
# reload, shutdown) at a default path that is one per user, not per instance:
# $XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl. Two instances on one machine (the app
# and bench/load.py, or a test's server) would share it: the later one unlinks the earlier one's
# socket and binds its own, the first to stop removes the other's, and a gunicornc command meant
# for one instance reaches the other. So it is off unless STUDYAPP_CONTROL_SOCKET names a path of
# this instance's own (mode 0600: only its user may connect). Signals (HUP: reload, TERM: stop,
# TTIN/TTOU: one worker more or fewer) do the same work without it.
_control_socket = os.environ.get("STUDYAPP_CONTROL_SOCKET", "").strip()
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket
